package warden

import (
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
)

// Migration is one schema change of a store, numbered by the prefix of its
// file name (0001_init.sql).
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// ReadMigrations returns the *.sql migrations in dir of fsys in version
// order. Each store keeps its own SQL; they share how the files are named
// and ordered. It fails on a misnamed file or a repeated version.
func ReadMigrations(fsys fs.FS, dir string) ([]Migration, error) {
	// fs.Glob returns names in lexical order, which is version order as
	// long as the numbers keep their four digits.
	names, err := fs.Glob(fsys, dir+"/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []Migration
	for _, name := range names {
		base := path.Base(name)
		num, _, ok := strings.Cut(base, "_")
		if !ok {
			return nil, fmt.Errorf("migration %s: name is not NNNN_name.sql", base)
		}
		v, err := strconv.Atoi(num)
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: bad version %q", base, num)
		}
		if len(ms) > 0 && ms[len(ms)-1].Version >= v {
			return nil, fmt.Errorf("migration %s: version %d out of order", base, v)
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: base, SQL: string(b)})
	}
	return ms, nil
}
