#!/usr/bin/python3
"""simdml train --optimizer adam against NumPy: the same network, the same update, in float64.

Full-batch training on iris (150 rows, so the shuffle cannot change a gradient) of a 4-16-3 ReLU +
softmax network, from the initial weights simdml saves at --epochs 0. NumPy recomputes each step:
forward, backward, the mean gradient, L2 on the weights, and Adam with bias correction (PyTorch's
arithmetic, include/simdml/activations.hpp). simdml computes in float32; after 5 steps every
weight and bias must be within 4 ULP of float64's, or within 1e-5 of the rate (1e-7) for small
values, where a ULP is far finer than float32's rounding of the step itself (measured on iris: at
most 2.4 ULP, and 6e-8 absolute). A missing bias correction, a moment in the wrong order or decay
on the biases all move the weights by ~1e-3, ten thousand times the bound.

    tests/adam_numpy_test.py BUILD/simdml     (SIMDML_DATA must hold iris/)"""
import os
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

import numpy as np

SIMDML = sys.argv.pop(1) if len(sys.argv) > 1 else "build/simdml"
STEPS, RATE, BETA1, BETA2, EPSILON, DECAY = 5, 0.01, 0.9, 0.999, 1e-8, 0.001
MAX_ULP, ABSOLUTE = 4, 1e-5 * RATE


def simdml(*args):
    return subprocess.run([SIMDML, *map(str, args)], capture_output=True, text=True, timeout=300)


def train(root, epochs, model, *extra):
    return simdml("train", "--dataset", "iris", "--data", root, "--layers", "4,16,3",
                  "--activation", "relu", "--loss", "cross-entropy", "--init", "he",
                  "--batch", 150, "--epochs", epochs, "--seed", 3, "--save", model, *extra)


def load(model):
    with np.load(model) as z:
        return [(z[f"weights_{l}"].astype(np.float64), z[f"biases_{l}"].astype(np.float64))
                for l in range(2)]


def adam_reference(initial, x, labels):
    """STEPS full-batch Adam steps in float64; W is outputs x inputs as in the model file."""
    params = [list(layer) for layer in initial]
    moments = [[np.zeros_like(p) for p in layer] for layer in params]
    squares = [[np.zeros_like(p) for p in layer] for layer in params]
    onehot = np.eye(3)[labels]
    for t in range(1, STEPS + 1):
        (w0, b0), (w1, b1) = params
        a0 = np.maximum(x @ w0.T + b0, 0.0)
        z1 = a0 @ w1.T + b1
        e = np.exp(z1 - z1.max(axis=1, keepdims=True))
        delta1 = e / e.sum(axis=1, keepdims=True) - onehot
        delta0 = (delta1 @ w1) * (a0 > 0)
        rows = len(x)
        grads = [[delta0.T @ x / rows, delta0.sum(axis=0) / rows],
                 [delta1.T @ a0 / rows, delta1.sum(axis=0) / rows]]
        step_size = RATE / (1 - BETA1 ** t)
        root_correction2 = np.sqrt(1 - BETA2 ** t)
        for l in range(2):
            for i, decay in ((0, DECAY), (1, 0.0)):  # L2 on the weights, not the biases
                g = grads[l][i] + decay * params[l][i]
                moments[l][i] = BETA1 * moments[l][i] + (1 - BETA1) * g
                squares[l][i] = BETA2 * squares[l][i] + (1 - BETA2) * g * g
                denominator = np.sqrt(squares[l][i]) / root_correction2 + EPSILON
                params[l][i] = params[l][i] - step_size * moments[l][i] / denominator
    return params


def excess(got, want):
    """How far past the bound each value is (<= 1 passes): the error over max(4 ULP, 1e-7)."""
    ulp = np.spacing(np.abs(want).astype(np.float32)).astype(np.float64)
    return np.abs(got - want) / np.maximum(MAX_ULP * ulp, ABSOLUTE)


class AdamAgainstNumpy(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        root = os.environ.get("SIMDML_DATA")
        if not root or not (Path(root) / "iris" / "iris.csv").exists():
            raise unittest.SkipTest("SIMDML_DATA does not hold iris/iris.csv")
        cls.root = root
        cls.tmp = Path(tempfile.mkdtemp())
        data = np.loadtxt(Path(root) / "iris" / "iris.csv", delimiter=",", skiprows=1)
        cls.x = data[:, :4].astype(np.float32).astype(np.float64)
        cls.labels = data[:, 4].astype(int)

    def adam(self, model, epochs, threads=1):
        result = train(self.root, epochs, model, "--optimizer", "adam", "--eta", RATE,
                       "--l2", DECAY, "--threads", threads)
        self.assertEqual(result.returncode, 0, result.stderr)
        return load(model)

    def test_five_steps_match_numpy_in_float64(self):
        initial = self.adam(self.tmp / "initial.npz", 0)
        got = self.adam(self.tmp / "trained.npz", STEPS)
        want = adam_reference(initial, self.x, self.labels)
        moved = max(np.abs(g - i).max() for (gl, il) in zip(got, initial) for g, i in zip(gl, il))
        self.assertGreater(moved, 1e-3, "training did not move the weights")
        for l in range(2):
            for name, g, w in (("weights", got[l][0], want[l][0]), ("biases", got[l][1], want[l][1])):
                worst = excess(g, w).max()
                self.assertLessEqual(worst, 1.0, f"layer {l} {name}: {worst:.2f} x the bound")

    def test_threads_do_not_change_a_bit(self):
        one = self.tmp / "one.npz"
        two = self.tmp / "two.npz"
        self.adam(one, 3, threads=1)
        self.adam(two, 3, threads=2)
        for (w1, b1), (w2, b2) in zip(load(one), load(two)):
            np.testing.assert_array_equal(w1, w2)
            np.testing.assert_array_equal(b1, b2)

    def test_usage_errors(self):
        for args, message in (
                (("--optimizer", "rmsprop"), "--optimizer must be sgd or adam"),
                (("--beta1", "0.8"), "--beta1 needs --optimizer adam"),
                (("--optimizer", "adam", "--momentum", "0.9"), "--momentum is an SGD option"),
                (("--optimizer", "adam", "--beta2", "1.5"), "--beta2"),
                (("--optimizer", "adam", "--epsilon", "0"), "--epsilon")):
            model = self.tmp / "unwritten.npz"
            result = train(self.root, 1, model, *args)
            self.assertEqual(result.returncode, 2, result.stderr)
            self.assertIn(message, result.stderr)
            self.assertFalse(model.exists())


if __name__ == "__main__":
    unittest.main()
