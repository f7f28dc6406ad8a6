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


def solve(case):
    pool = solv.Pool()
    pool.setdisttype(solv.Pool.DISTTYPE_RPM)
    pool.setarch(case.get("arch", "x86_64"))
    # As dnf: packages of one name but different arches (glibc.x86_64 and
    # glibc.i686) may be installed side by side.
    pool.set_flag(solv.Pool.POOL_FLAG_IMPLICITOBSOLETEUSESCOLORS, 1)
    add_rpmmd(pool.add_repo("repo"), case["primary"], case.get("filelists"))
    if case.get("installed_primary"):
        inst = pool.add_repo("@System")
        add_rpmmd(inst, case["installed_primary"], case.get("installed_filelists"))
        pool.installed = inst
    pool.addfileprovides()
    pool.createwhatprovides()
    jobs = []
    for spec in case["install"]:
        flags = solv.Selection.SELECTION_NAME | solv.Selection.SELECTION_PROVIDES | solv.Selection.SELECTION_CANON | solv.Selection.SELECTION_DOTARCH | solv.Selection.SELECTION_REL
        sel = pool.select(spec, flags)
        if sel.isempty():
            return {"unsat": True, "why": "no match for " + spec}
        jobs += sel.jobs(solv.Job.SOLVER_INSTALL)
    solver = pool.Solver()
    problems = solver.solve(jobs)
    if problems:
        return {"unsat": True, "why": "; ".join(str(p) for p in problems)}
    trans = solver.transaction()
    return {"install": sorted(s.str() for s in trans.newsolvables())}


def main():
    with open(sys.argv[1]) as f:
        cases = json.load(f)
    json.dump([solve(c) for c in cases], sys.stdout)


main()
