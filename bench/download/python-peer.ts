/**
 * The seeds' peer: a Python 3 thread-pool downloader using only the standard library (urllib,
 * concurrent.futures), written here and run with python3. One connection per request, as urllib does.
 */
export const PYTHON_THREAD_POOL = `
import concurrent.futures, json, os, sys, time, urllib.request

urls = open(sys.argv[1]).read().split()
out = sys.argv[2]
workers = int(sys.argv[3])
os.makedirs(out, exist_ok=True)

def get(url):
    path = os.path.join(out, os.path.basename(url))
    with urllib.request.urlopen(url, timeout=60) as response, open(path, "wb") as f:
        while True:
            chunk = response.read(1 << 20)
            if not chunk:
                break
            f.write(chunk)

start = time.perf_counter()
with concurrent.futures.ThreadPoolExecutor(workers) as pool:
    list(pool.map(get, urls))
print(json.dumps({"seconds": time.perf_counter() - start}))
`;
