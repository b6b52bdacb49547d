-- SESSION_ID_SOURCE=litellm: LiteLLM's own session_id column (set by clients that send
-- litellm_session_id; otherwise a random id per request, so not the default).
l.session_id
