def mse_loss(pred, target):
    diff = pred - target
    return float(np.sum(diff**2)), 2.0 * diff
