

def scores(rng, n=5, c=3, scale=1.0):
    return {"scores": scale * rng.standard_normal((n, c)), "y": rng.integers(0, c, size=n)}
