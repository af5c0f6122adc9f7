# Shortcuts for the commands of the README; dev.py does the work and needs only Python 3.11+.
.PHONY: run test bench
run:
	python3 dev.py run
test:
	python3 dev.py test
bench:
	python3 dev.py bench
