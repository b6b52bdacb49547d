-- AGENT_METADATA_SOURCE=metadata: top-level keys of the metadata column. Real LiteLLM drops
-- unknown keys there; some self-written proxies and forks keep them.
l.metadata
