# Reference resolver for rpmvault's differential tests: libsolv (the solver
# inside dnf) solving install jobs over rpm-md repos. Reads a JSON list of
# cases, prints a JSON list of answers. Run with a python that has python3-solv.
import json
import sys

import solv


def add_rpmmd(repo, primary, filelists):
    f = solv.xfopen(primary)
    repo.add_rpmmd(f, None)
    f.close()
    if filelists:
        f = solv.xfopen(filelists)
        repo.add_rpmmd(f, None, solv.Repo.REPO_EXTEND_SOLVABLES)
        f.close()


def make_pool(case):
    pool = solv.Pool()
    pool.setdisttype(solv.Pool.DISTTYPE_RPM)
    pool.setarch(case.get("arch", "x86_64"))
    # As dnf: packages of one name but different arches (glibc.x86_64 and
    # glibc.i686) may be installed side by side.
    pool.set_flag(solv.Pool.POOL_FLAG_IMPLICITOBSOLETEUSESCOLORS, 1)
    # As dnf: the installed packages (@System) are loaded first.
    if case.get("installed_primary"):
        inst = pool.add_repo("@System")
        add_rpmmd(inst, case["installed_primary"], case.get("installed_filelists"))
        pool.installed = inst
    # As dnf: repos in configuration order, a priority lower in number wins.
    for i, r in enumerate(case.get("repos") or [case]):
        repo = pool.add_repo("repo%d" % i)
        repo.priority = -r.get("priority", 99)
        add_rpmmd(repo, r["primary"], r.get("filelists"))
    pool.addfileprovides()
    pool.createwhatprovides()
    return pool


def solve(case):
    pool = make_pool(case)
    jobs = []
    for spec in case["install"]:
        flags = solv.Selection.SELECTION_NAME | solv.Selection.SELECTION_PROVIDES | solv.Selection.SELECTION_CANON | solv.Selection.SELECTION_DOTARCH | solv.Selection.SELECTION_REL
        sel = pool.select(spec, flags)
        if sel.isempty():
            return {"unsat": True, "why": "no match for " + spec}
        jobs += sel.jobs(solv.Job.SOLVER_INSTALL)
    # As dnf's installonlypkgs: what provides one of these names is
    # installed beside its other versions.
    for name in case.get("multiversion") or []:
        jobs.append(pool.Job(solv.Job.SOLVER_MULTIVERSION | solv.Job.SOLVER_SOLVABLE_PROVIDES, pool.str2id(name)))
    solver = pool.Solver()
    problems = solver.solve(jobs)
    if problems:
        return {"unsat": True, "why": "; ".join(str(p) for p in problems)}
    trans = solver.transaction()
    return {"install": sorted(s.str() for s in trans.newsolvables()),
            "erase": sorted(s.str() for s in trans.steps() if s.repo == pool.installed)}


def check(case):
    """Is installing exactly case["check"] (NEVRAs) a valid transaction for
    libsolv, needing nothing more?"""
    pool = make_pool(case)
    jobs = []
    for nevra in case["check"]:
        sel = pool.select(nevra, solv.Selection.SELECTION_CANON | solv.Selection.SELECTION_DOTARCH)
        found = [s for s in sel.solvables() if s.repo != pool.installed and s.str() == nevra]
        if len(found) != 1:
            return {"valid": False, "why": "cannot select " + nevra}
        jobs.append(pool.Job(solv.Job.SOLVER_INSTALL | solv.Job.SOLVER_SOLVABLE, found[0].id))
    solver = pool.Solver()
    problems = solver.solve(jobs)
    if problems:
        return {"valid": False, "why": "; ".join(str(p) for p in problems)}
    extra = sorted(set(s.str() for s in solver.transaction().newsolvables()) - set(case["check"]))
    return {"valid": not extra, "why": "needs more: " + " ".join(extra) if extra else ""}


def main():
    with open(sys.argv[1]) as f:
        cases = json.load(f)
    json.dump([check(c) if "check" in c else solve(c) for c in cases], sys.stdout)


main()
