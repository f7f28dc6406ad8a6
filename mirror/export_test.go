package mirror

// CheckRPMFiles runs the file-digest check over a whole RPM file, for the
// external tests that build packages with the fixtures package.
var CheckRPMFiles = checkRPMFiles
