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
// below them. Folders are walked recursively; hidden entries and documents inside
// a folder (README, LICENSE, SOURCES, *.md, *.html, *.pdf; not *.txt, which bank
// files use) are skipped, while a file named itself is always listed. A path that
// cannot be read is returned in unlisted instead of stopping the others.
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
			case p != root && document(d.Name()):
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

// document reports whether a file found in a folder is a document beside the bank
// files rather than one of them.
func document(name string) bool {
	upper := strings.ToUpper(name)
	for _, prefix := range []string{"README", "LICENSE", "LICENCE", "COPYING", "SOURCES"} {
		if strings.HasPrefix(upper, prefix) {
			return true
		}
	}

	switch strings.ToLower(filepath.Ext(name)) {
	case ".md", ".markdown", ".rst", ".html", ".pdf":
		return true
	}

	return false
}
