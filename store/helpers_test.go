package store_test

import "os"

func chmodWrite(p string, b []byte) error {
	if err := os.Chmod(p, 0o644); err != nil {
		return err
	}
	return os.WriteFile(p, b, 0o644)
}
