-- Whether the request failed: the status column ('failure'; added May 2025), else the copy LiteLLM
-- keeps in metadata->>'status'.
COALESCE(COALESCE(l.status, l.metadata ->> 'status') = 'failure', false)
