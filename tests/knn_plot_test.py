#!/usr/bin/python3
"""simdml knn --plot: the decision-region picture of the k-NN tutorial on iris. The SVG holds a
region per class and every training point; rendered by headless Chromium it is not blank and shows
the three region colours, each over a large share of the plot. Usage errors leave no file.

    tests/knn_plot_test.py BUILD/simdml     (SIMDML_DATA must hold iris/)"""
import os
import re
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from browser import CHROMIUM_FLAGS, chromium  # noqa: E402

SIMDML = sys.argv.pop(1) if len(sys.argv) > 1 else "build/simdml"
REGION_FILLS = ["#fdd0a2", "#c7e9c0", "#c6dbef"]  # knn_plot.cpp's first three classes


def simdml(*args):
    return subprocess.run([SIMDML, *map(str, args)], capture_output=True, text=True, timeout=300)
class IrisPlot(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        root = os.environ.get("SIMDML_DATA")
        if not root or not (Path(root) / "iris").exists():
            raise unittest.SkipTest("SIMDML_DATA does not hold iris/")
        cls.tmp = Path(tempfile.mkdtemp())
        cls.svg = cls.tmp / "iris.svg"
        cls.result = simdml("knn", "--dataset", "iris", "--plot", cls.svg)

    def test_the_svg_has_three_regions_and_every_point(self):
        self.assertEqual(self.result.returncode, 0, self.result.stderr)
        self.assertIn("decision regions of features 3 and 4", self.result.stdout)
        text = self.svg.read_text()
        self.assertEqual(set(re.findall(r'class="region" data-class="(\d+)"', text)), {"0", "1", "2"})
        self.assertEqual(text.count('class="point"'), 150)
        k = int(re.search(r"k = (\d+) \(best of a 5-fold", self.result.stdout).group(1))
        self.assertIn(f"iris: 3-class k-NN decision regions, k = {k}, uniform weights</text>", text)

    def test_the_axes_are_named_and_ticked_and_the_classes_have_a_legend(self):
        """As the seeds' matplotlib picture: feature names from iris.csv's header, tick values, and
        the species by name."""
        text = self.svg.read_text()
        self.assertEqual(re.findall(r'class="axis-name"[^>]*>([^<]*)<', text), ["petal length", "petal width"])
        ticks = re.findall(r'<line class="tick"[^>]*/><text[^>]*>([^<]*)</text>', text)
        self.assertGreaterEqual(len(ticks), 6)
        self.assertTrue({"2", "4", "6"} <= set(ticks), ticks)
        legend = re.findall(r'<g class="legend" data-class="(\d)">.*?<text[^>]*>([^<]*)</text>', text)
        self.assertEqual(legend, [("0", "setosa"), ("1", "versicolor"), ("2", "virginica")])

    def test_rendered_it_shows_three_regions(self):
        from PIL import Image
        browser = chromium()
        if browser is None:
            self.skipTest("no chromium (scripts/setup.sh installs it)")
        shot = self.tmp / "iris.png"
        subprocess.run([browser, *CHROMIUM_FLAGS, f"--user-data-dir={tempfile.mkdtemp()}",
                        "--window-size=600,600", f"--screenshot={shot}", self.svg.as_uri()],
                       capture_output=True, timeout=120)
        self.assertTrue(shot.exists())
        image = Image.open(shot).convert("RGB")
        counts = {rgb: n for n, rgb in image.getcolors(maxcolors=1 << 20)}
        total = image.width * image.height
        self.assertLess(counts.get((255, 255, 255), 0) / total, 0.6, "the picture is mostly blank")
        for fill in REGION_FILLS:
            rgb = tuple(int(fill[i:i + 2], 16) for i in (1, 3, 5))
            self.assertGreater(counts.get(rgb, 0) / total, 0.05, f"region {fill} is missing")

    def test_bad_features_are_a_usage_error_and_write_nothing(self):
        out = self.tmp / "bad.svg"
        for features in ("3", "3,3", "0,2", "2,9", "a,b"):
            result = simdml("knn", "--dataset", "iris", "--plot", out, "--plot-features", features)
            self.assertEqual(result.returncode, 2, result.stderr)
            self.assertIn("--plot-features", result.stderr)
            self.assertFalse(out.exists())


class NamesFromTheHeader(unittest.TestCase):
    def test_any_header_name_is_drawn_whole_and_escaped(self):
        """Axis names come from the data file: one of 1,000 characters, and one with XML's special
        characters, appear whole, and the SVG stays well-formed XML."""
        import xml.etree.ElementTree as ElementTree
        root = Path(tempfile.mkdtemp())
        (root / "iris").mkdir()
        long_name, markup = "x" * 1000, 'a<b & "c">d'
        rows = [f"{i}.0,{i % 3}.5,{i % 2}" for i in range(30)]
        (root / "iris" / "iris.csv").write_text(f"{long_name},{markup},label\n" + "\n".join(rows) + "\n")
        svg = root / "plot.svg"
        result = simdml("knn", "--data", root, "--dataset", "iris", "--plot", svg)
        self.assertEqual(result.returncode, 0, result.stderr)
        tree = ElementTree.parse(svg)
        names = [e.text for e in tree.iter("{http://www.w3.org/2000/svg}text") if e.get("class") == "axis-name"]
        self.assertEqual(names, [long_name, markup])


if __name__ == "__main__":
    unittest.main()
