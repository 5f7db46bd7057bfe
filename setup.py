"""Maps the repository's folders into the one ``playschool`` package (metadata lives in pyproject.toml).

The folders show the architecture (``games/``, ``benchmark/``, ...) while the import names stay namespaced
(``playschool.games``, ...). Subpackages are found automatically, so adding a game needs no change here.
"""

from setuptools import find_packages, setup

FOLDERS = {"playschool": "playschool", "playschool.games": "games", "playschool.benchmark": "benchmark",
           "playschool.baselines": "baselines", "playschool.arena": "spaces/arena"}

packages = []
for name, folder in FOLDERS.items():
    packages.append(name)
    packages += [f"{name}.{sub}" for sub in find_packages(folder)]

setup(packages=packages, package_dir=FOLDERS)
