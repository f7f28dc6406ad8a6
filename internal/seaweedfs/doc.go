// Package seaweedfs starts and stops a real SeaweedFS server with its S3
// gateway on loopback ports, for tests and benchmarks of the S3 store. The
// `weed` binary is built by .ci/seaweedfs.sh and found through SEAWEEDFS_WEED.
package seaweedfs
