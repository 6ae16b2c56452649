package bank

import (
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
)

// Unlisted is a path named for reading that could not be listed.
type Unlisted struct {
	Path string
	Err  error
}

// List expands files and folders into the sorted, de-duplicated list of bank files
// below them. Folders are walked recursively; hidden entries inside a folder are
// skipped; a path that cannot be read is returned in unlisted instead of stopping
// the others.
func List(paths []string) (files []string, unlisted []Unlisted) {
	for _, root := range paths {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil && p == root {
				return err
			}

			if err != nil {
				unlisted = append(unlisted, Unlisted{Path: p, Err: err})
				return nil
			}

			hidden := p != root && strings.HasPrefix(d.Name(), ".")
			switch {
			case d.IsDir() && hidden:
				return filepath.SkipDir
			case d.IsDir(), hidden, !d.Type().IsRegular() && d.Type()&fs.ModeSymlink == 0:
				return nil
			}

			files = append(files, p)

			return nil
		})
		if err != nil {
			unlisted = append(unlisted, Unlisted{Path: root, Err: err})
		}
	}

	sort.Strings(files)

	out := files[:0]
	for i, p := range files {
		if i == 0 || p != files[i-1] {
			out = append(out, p)
		}
	}

	return out, unlisted
}
