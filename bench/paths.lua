-- wrk script: cycles through the request paths listed (one per line) in the file named by the
-- environment variable BENCH_PATHS, so that concurrent requests differ and nothing is shared.
local paths = {}
local next_path = 0

function init(args)
    for line in io.lines(os.getenv("BENCH_PATHS")) do
        paths[#paths + 1] = line
    end
    -- Threads start at different offsets.
    next_path = math.random(#paths)
end

function request()
    next_path = next_path % #paths + 1
    return wrk.format("GET", paths[next_path])
end
