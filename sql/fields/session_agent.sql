-- SESSION_ID_SOURCE=agent (default): a session is the caller's agent_session_id, read from the
-- configured agent source (the lateral `a.fields`).
a.fields ->> 'agent_session_id'
