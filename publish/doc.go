// Package publish turns a lock or a bundle into a yum repository a fleet
// can install from, in a directory or under an S3 prefix, and serves such
// published trees read-only over HTTP (Range, HEAD).
//
// A published tree holds packages by content and repodata per lock:
//
//	rpms/SHA256/FILE.rpm                   each package once, whatever locks share it
//	repos/NAME/repodata/…                  the lock's yum metadata; hrefs are rpms/SHA256/FILE.rpm
//	repos/NAME/rpms                        → ../../rpms (a symlink in a directory; serve maps it for S3)
//	repos/NAME/keys/…, repos/NAME/NAME.repo  the repo's gpg keys and a ready .repo file
package publish
