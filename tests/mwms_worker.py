"""One worker of the MultiWorkerMirroredStrategy test: trains (TF_CONFIG
names the cluster) and saves this worker's final weights to argv[1]."""

import sys

import numpy as np

from colorize import train

if __name__ == "__main__":
    out, argv = sys.argv[1], sys.argv[2:]
    trainer = train.run(argv)
    np.savez(out, *[np.asarray(w) for w in trainer.net.get_weights()])
    print(f"worker saved {len(trainer.net.get_weights())} arrays, step {int(trainer.step.numpy())}")
