package resolver

// Action is what a plan does with a package on the target.
type Action string

const (
	ActionInstall Action = "install"
	ActionUpgrade Action = "upgrade"
)

// PlannedPackage is one package of a resolved closure, with why it is there
// and where it goes in the install order.
type PlannedPackage struct {
	Package *Package
	Action  Action
	// Reason is why the package is there; its String is for people.
	Reason Reason
	// Replaces is the installed package this one upgrades or obsoletes, if any.
	Replaces *Package
	// Step is the 1-based transaction step of the install order. Packages of one
	// dependency cycle share a step.
	Step int
	// URLs are the places the package can be fetched from, best first.
	URLs []string
}

// Plan is a resolved closure in install order.
type Plan struct {
	Packages []PlannedPackage // sorted by Step, then name
	Steps    int
	// Warnings are things a person should know about the answer.
	Warnings []string
}
