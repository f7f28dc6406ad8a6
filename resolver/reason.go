package resolver

// ReasonKind says why a package is in a plan.
type ReasonKind uint8

const (
	// ReasonNeeded: the solution needs it, no single requirement names it.
	ReasonNeeded ReasonKind = iota
	// ReasonRequested: an install spec of the request names it.
	ReasonRequested
	// ReasonRequired: By requires Dep, and this package provides it.
	ReasonRequired
	// ReasonUpgrade: it replaces the installed package By.
	ReasonUpgrade
	// ReasonSource: a source RPM, the one the binaries By were built from.
	ReasonSource
)

// Reason is why a package is in a plan: its kind, the package (NEVRA) that
// brought it in, and the dependency through which it did.
type Reason struct {
	Kind ReasonKind
	By   string
	Dep  Dep
}

// String is the reason for people: "requested", "required by
// docker-engine-1.7.1-1.el6.x86_64 (libcgroup)", "upgrade of installed
// device-mapper-libs-1.02.79-8.el6.x86_64".
func (r Reason) String() string {
	switch r.Kind {
	case ReasonRequested:
		return "requested"
	case ReasonRequired:
		return "required by " + r.By + " (" + r.Dep.String() + ")"
	case ReasonUpgrade:
		return "upgrade of installed " + r.By
	case ReasonSource:
		return "source of " + r.By
	}
	return "needed by the solution"
}
