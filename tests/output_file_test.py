#!/usr/bin/python3
"""python/simdml_run/output_file.py, the Python writer of simdml's outputs (the history's, the report's): the
same rules as the C++ writer. A regular file is replaced whole; a link is followed; a device, a FIFO
or the program's standard output is written into; a folder is refused; the temporary file has a
unique name and never outlives a failed or interrupted write."""
import os
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from pathlib import Path

PYTHON = Path(__file__).resolve().parent.parent / "python"  # the simdml_run package
sys.path.insert(0, str(PYTHON))
from simdml_run.output_file import OutputError, check_writable, write_output  # noqa: E402


def entries(folder):
    return sorted(p.name for p in Path(folder).iterdir())


class OutputFile(unittest.TestCase):
    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp())

    def test_a_regular_file_is_replaced_and_keeps_its_permissions(self):
        out = self.tmp / "out.json"
        out.write_text("x" * 10000)
        out.chmod(0o640)
        write_output(out, "new")
        self.assertEqual(out.read_text(), "new")
        self.assertEqual(stat.S_IMODE(out.stat().st_mode), 0o640)
        self.assertEqual(entries(self.tmp), ["out.json"])

    def test_a_link_is_followed_and_stays_a_link(self):
        (self.tmp / "runs").mkdir()
        (self.tmp / "runs" / "1.json").write_text("old")
        (self.tmp / "latest.json").symlink_to("runs/1.json")
        write_output(self.tmp / "latest.json", "new")
        self.assertTrue((self.tmp / "latest.json").is_symlink())
        self.assertEqual((self.tmp / "runs" / "1.json").read_text(), "new")
        self.assertEqual(entries(self.tmp / "runs"), ["1.json"])

    def test_a_character_device_is_written_into(self):
        device = self.tmp / "null"
        try:
            os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))
        except PermissionError:
            device = Path("/dev/null")  # not root: a wrong rename over it would fail anyway
        write_output(device, "into the device")
        self.assertTrue(stat.S_ISCHR(os.lstat(device).st_mode))

    def test_a_fifo_with_a_reader_gets_the_bytes(self):
        fifo = self.tmp / "pipe"
        os.mkfifo(fifo)
        got = {}
        reader = threading.Thread(target=lambda: got.setdefault("text", fifo.read_text()))
        reader.start()
        for _ in range(200):
            try:
                write_output(fifo, "through the pipe")
                break
            except OutputError:  # the reader has not opened its end yet
                time.sleep(0.01)
        reader.join(10)
        self.assertEqual(got.get("text"), "through the pipe")
        self.assertTrue(stat.S_ISFIFO(os.lstat(fifo).st_mode))

    def test_a_fifo_nobody_reads_is_an_error_not_a_wait(self):
        fifo = self.tmp / "pipe"
        os.mkfifo(fifo)
        with self.assertRaisesRegex(OutputError, "a FIFO that no process is reading"):
            write_output(fifo, "lost")
        self.assertEqual(entries(self.tmp), ["pipe"])

    def test_standard_output_gets_the_bytes_in_order(self):
        code = ("import sys; sys.path.insert(0, sys.argv[1]); from simdml_run.output_file import write_output\n"
                "print('before', flush=True); write_output('/dev/stdout', 'the report\\n'); print('after')")
        out = self.tmp / "captured.txt"
        with open(out, "w") as f:
            subprocess.run([sys.executable, "-c", code, str(PYTHON)], stdout=f, check=True)
        self.assertEqual(out.read_text(), "before\nthe report\nafter\n")

    def test_a_folder_is_refused_and_nothing_is_left(self):
        (self.tmp / "outdir").mkdir()
        with self.assertRaisesRegex(OutputError, "it is a directory"):
            write_output(self.tmp / "outdir", "text")
        self.assertEqual(entries(self.tmp), ["outdir"])
        self.assertEqual(entries(self.tmp / "outdir"), [])

    def test_a_missing_folder_is_one_clear_error(self):
        with self.assertRaisesRegex(OutputError, "no folder"):
            check_writable(self.tmp / "absent" / "out.json")
        with self.assertRaisesRegex(OutputError, "no folder"):
            write_output(self.tmp / "absent" / "out.json", "text")
        self.assertEqual(entries(self.tmp), [])

    def test_protected_files_are_refused_whatever_the_spelling(self):
        db = self.tmp / "h.db"
        db.write_text("the history")
        (self.tmp / "alias.db").symlink_to("h.db")
        for spelling in (db, self.tmp / "." / "h.db", self.tmp / "alias.db"):
            with self.subTest(spelling=str(spelling)):
                with self.assertRaisesRegex(OutputError, "must not overwrite"):
                    write_output(spelling, "{}", protected=[db])
        self.assertEqual(db.read_text(), "the history")

    def test_writers_at_once_each_use_their_own_temporary(self):
        out = self.tmp / "shared.json"
        texts = [f"writer {i} " * 20000 for i in range(8)]
        errors = []

        def write(text):
            try:
                write_output(out, text)
            except Exception as e:  # noqa: BLE001 - any failure fails the test
                errors.append(e)
        threads = [threading.Thread(target=write, args=(t,)) for t in texts]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        self.assertIn(out.read_text(), texts)
        self.assertEqual(entries(self.tmp), ["shared.json"])

    def test_a_terminated_write_leaves_no_temporary(self):
        code = ("import sys; sys.path.insert(0, sys.argv[1]); from simdml_run import output_file\n"
                "real = output_file._write_all\n"
                "def slow(fd, data):\n"
                "    print('writing', flush=True)\n"
                "    import time; time.sleep(30)\n"
                "output_file._write_all = slow\n"
                "output_file.write_output(sys.argv[2], 'never')")
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            with self.subTest(signal=signum):
                child = subprocess.Popen([sys.executable, "-c", code, str(PYTHON), str(self.tmp / "out.json")],
                                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
                self.assertEqual(child.stdout.readline(), "writing\n")
                child.send_signal(signum)
                child.wait(30)
                self.assertNotEqual(child.returncode, 0)
                self.assertEqual(entries(self.tmp), [])


if __name__ == "__main__":
    unittest.main()
