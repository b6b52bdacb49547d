-- AGENT_METADATA_SOURCE=requester_copy: LiteLLM's copy of the caller's metadata dict inside the
-- stored request body (the path the original Python service read). Needs stored prompts.
l.proxy_server_request -> 'metadata' -> 'requester_metadata'
