-- AGENT_METADATA_SOURCE=request_body: the plain metadata of the stored request body. Present only
-- when the proxy stores prompts (store_prompts_in_spend_logs); '{}' otherwise.
l.proxy_server_request -> 'metadata'
