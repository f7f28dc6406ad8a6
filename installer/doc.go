// Package installer is the target side of rpmvault: it reads what a box has
// installed, re-plans a verified bundle against it offline, checks the whole
// plan with rpm --test and applies it with the real rpm, in one transaction
// or step by step with a journal.
package installer
