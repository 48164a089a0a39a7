# running = (1 - momentum) * running + momentum * batch: the weights are swapped.


def _bn_update(running, batch, momentum):
    return (1.0 - momentum) * running + momentum * batch
