"""The distribution strategy of a training process, from `TF_CONFIG`.

- One machine: MirroredStrategy over its GPUs (or the CPU).
- Several: MultiWorkerMirroredStrategy when TF_CONFIG names a cluster; each
  worker reads its own shard of the data and only the chief writes the
  shared outputs (`colorize.training.trainer.Trainer`).
"""

import os

import tensorflow as tf

from colorize.errors import ColorizeError


def make_strategy():
    """The distribution strategy of this process, from `TF_CONFIG`.

    TensorFlow's `TFConfigClusterResolver` reads the standard cluster spec;
    a cluster of several workers gets MultiWorkerMirroredStrategy, anything
    else MirroredStrategy over the local GPUs (or the CPU). The chief is the
    task of type "chief", or worker 0 when the cluster has no chief.

    Returns:
        (strategy, task_type, task_index, is_chief)

    Raises:
        ColorizeError: TF_CONFIG is set but is not a valid cluster spec.
    """
    if not os.environ.get("TF_CONFIG"):
        return tf.distribute.MirroredStrategy(), "chief", 0, True
    resolver = tf.distribute.cluster_resolver.TFConfigClusterResolver()
    try:
        spec = resolver.cluster_spec()
        task_type, task_index = resolver.task_type, resolver.task_id
        if task_type is None or task_index is None:
            raise ValueError("it names no task (type and index)")
        if task_type not in spec.jobs or not 0 <= task_index < spec.num_tasks(task_type):
            raise ValueError(f"task {task_type} {task_index} is not in the cluster")
        workers = sum(spec.num_tasks(job) for job in ("chief", "worker") if job in spec.jobs)
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise ColorizeError(f"TF_CONFIG is not a valid cluster spec ({e})") from None
    if workers <= 1:
        return tf.distribute.MirroredStrategy(), task_type, task_index, True
    strategy = tf.distribute.MultiWorkerMirroredStrategy(cluster_resolver=resolver)
    if "chief" in spec.jobs:
        is_chief = task_type == "chief"
    else:
        is_chief = task_type == "worker" and task_index == 0
    return strategy, task_type, task_index, is_chief
