# The two commands a newcomer runs (see README):
#   make demo   - install what is missing, then run the whole pipeline on the simulated Mukdahan province
#   make test   - install what is missing, then run the test suite
.PHONY: demo test setup bench
setup:
	@bash scripts/bootstrap.sh

demo: setup
	.venv/bin/oit demo

test: setup
	.venv/bin/python -m pytest -q

bench: setup
	.venv/bin/python -m benchmarks.accuracy --via crawl
	.venv/bin/python -m benchmarks.accuracy --set heldout --via crawl
	.venv/bin/python -m benchmarks.crawl_speed --sites 20
	.venv/bin/python -m benchmarks.national_scale --small 20 --large 60
	.venv/bin/python -m benchmarks.report_speed --pdf-sample 10
	.venv/bin/python -m benchmarks.sim_server_speed
