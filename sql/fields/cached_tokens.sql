-- Prompt tokens served from the provider's cache, from the usage object LiteLLM keeps in metadata;
-- 0 where absent or not a number.
CASE
    WHEN jsonb_typeof(l.metadata -> 'usage_object' -> 'prompt_tokens_details' -> 'cached_tokens') = 'number'
        THEN (l.metadata -> 'usage_object' -> 'prompt_tokens_details' ->> 'cached_tokens')::numeric::bigint
    ELSE 0
END
