# Thin verbs; each calls one script in scripts/.
.PHONY: setup train run prod reload train-and-load shell test bench

setup:   ## create .venv (Python 3.10), install pinned packages, build the spaCy pipeline
	bash scripts/setup.sh

train: setup  ## train the assistant if its data or config changed
	bash scripts/train.sh

run:     ## set up, train if needed, start the assistant (Ctrl-C stops it)
	bash scripts/run.sh

prod:    ## the production topology on this machine: 2 Rasa replicas behind nginx, PostgreSQL, Redis
	bash scripts/prod.sh

reload:  ## load the newly trained model into every running replica, one at a time (no restart)
	.venv/bin/clinic model reload

train-and-load: setup  ## train (after the knowledge base's checks), then reload: the console's "Train and load"
	.venv/bin/clinic model train-and-load

shell:   ## chat in Rasa's shell with the running assistant's actions (start `make run` first)
	bash scripts/shell.sh

test:    ## every gate: data validation, held-out NLU accuracy, conversations, pytest
	bash scripts/test.sh

bench:   ## latency, throughput, memory, thresholds; the two NLU configurations side by side (about 20 minutes)
	bash scripts/bench.sh
