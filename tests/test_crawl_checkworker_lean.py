"""The check worker's module (what a spawned check worker imports) stays free of Scrapy, Twisted and pandas."""
import subprocess
import sys

from crawler import checkworker, pipelines


def test_pipeline_runs_the_lean_worker_function():
    assert pipelines.check_stored_site is checkworker.check_stored_site
    assert pipelines.check_stored_site.__module__ == "crawler.checkworker"


def test_check_worker_imports_no_scrapy_twisted_or_pandas():
    code = ("import sys, crawler.checkworker, checks.engine, oitwatch.store; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'scrapy', 'twisted', 'pandas'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
