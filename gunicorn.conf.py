"""Production serving (issue #8): read by `gunicorn tdm_tracker.wsgi` from the repository root.

    gunicorn tdm_tracker.wsgi            # with the settings' environment variables set

Every value can be overridden with an environment variable (GUNICORN_WORKERS, ...) or on the
command line. See README "Operations".
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Sync workers: the pages are CPU-bound Django rendering and short database reads. One worker
# per core plus one keeps the cores busy while a worker waits on the database; more workers
# than that only queue on the same cores and share out the memory.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() + 1))
worker_class = "sync"
# A request that takes longer is killed and logged: no page should come near it (the budget is
# 150 ms); a large CSV import of 5,000 rows with its rules is the slowest thing we serve.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = 30
keepalive = 5
# Recycle each worker after about a thousand requests, at staggered times (jitter), so that a
# slow leak never grows and the workers never all restart at once.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "1000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "100"))
# Load the application once in the master; workers fork with it already imported (faster
# start, shared memory). Database connections are opened by each worker, never before fork.
preload_app = True
# Behind a reverse proxy on the same host: trust its X-Forwarded-* headers only from there.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
# An empty GUNICORN_ACCESS_LOG turns the access log off (the load test).
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
