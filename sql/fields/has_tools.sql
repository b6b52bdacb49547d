-- Whether the request used tools: a response whose choices carry tool calls, or an MCP tool call
-- (mcp_namespaced_tool_name, added Jul 2025; an empty or blank name is no tool call). The filter
-- keeps only call objects: LiteLLM writes "tool_calls": null on plain replies, which a bare
-- `tool_calls[*]` (lax mode) would match.
(COALESCE(l.response @? '$.choices[*].message.tool_calls[*] ? (@.type() == "object")', false)
    OR NULLIF(btrim(l.mcp_namespaced_tool_name), '') IS NOT NULL)
