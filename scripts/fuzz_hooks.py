"""schemathesis hooks for scripts/fuzz-api.sh.

A `cursor` is valid only as the server issued it (a page's `next_cursor`); no schema can say which
strings those are, so the fuzzer must not invent them: it would report every made-up cursor's 422 as
"schema-valid request rejected". The cursor parameters are left out of the fuzzer's copy of the
schema; tests/api/bad_input.rs and tests/api/routes/detailed_usage.rs cover cursors.
"""

import schemathesis


@schemathesis.hook
def before_load_schema(context, raw_schema):
    for item in raw_schema.get("paths", {}).values():
        for operation in item.values():
            if isinstance(operation, dict) and "parameters" in operation:
                operation["parameters"] = [
                    p for p in operation["parameters"] if p.get("name") != "cursor"
                ]
