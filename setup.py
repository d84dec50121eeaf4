"""Package discovery (the rest of the build is declared in pyproject.toml).

Every folder of petition_flow/ is found, none listed by hand. The top-level templates/ and
workflows/ ship inside the wheel as petition_flow/_data/… (package-dir in pyproject.toml;
paths.py finds them there when there is no checkout): discovery cannot name a folder under a
name other than its path, so these two roots are the only names written here.
"""

from setuptools import find_namespace_packages, setup

DATA_ROOTS = ["petition_flow._data.templates", "petition_flow._data.workflows"]

setup(packages=[*find_namespace_packages(include=["petition_flow", "petition_flow.*"],
                                         exclude=["*.__pycache__"]), *DATA_ROOTS])
