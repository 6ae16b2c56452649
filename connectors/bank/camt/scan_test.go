package camt

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// sharedCamt returns ../shared/samples/camt beside the repository root, or ""
// when it is absent; the inputs then are the package fixtures alone.
func sharedCamt() string {
	dir, err := os.Getwd()
	for err == nil {
		if _, statErr := os.Stat(filepath.Join(dir, "go.mod")); statErr == nil {
			break
		}

		if filepath.Dir(dir) == dir {
			return ""
		}

		dir = filepath.Dir(dir)
	}

	p := filepath.Join(dir, "..", "shared", "samples", "camt")
	if _, err := os.Stat(p); err != nil {
		return ""
	}

	return p
}

// scanInputs returns the package fixtures, the shared camt samples when present,
// and variants of each that the scanner must either read exactly like
// encoding/xml or hand back to it.
func scanInputs(tb testing.TB) map[string][]byte {
	tb.Helper()

	paths, _ := filepath.Glob(filepath.Join("testdata", "*.xml"))
	if dir := sharedCamt(); dir != "" {
		more, _ := filepath.Glob(filepath.Join(dir, "*.xml"))
		paths = append(paths, more...)
	}

	in := map[string][]byte{}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}

		base := filepath.Base(p)
		in[base] = data
		in[base+"/crlf"] = bytes.ReplaceAll(data, []byte("\n"), []byte("\r\n"))
		in[base+"/half"] = data[:len(data)/2]
		in[base+"/entity"] = bytes.Replace(data, []byte("<Ustrd>"),
			[]byte("<Ustrd>A &amp; B &lt;1&gt; &quot;x&apos; "), 1)
		in[base+"/charref"] = bytes.Replace(data, []byte("<Ustrd>"), []byte("<Ustrd>&#65;"), 1)
		in[base+"/badref"] = bytes.Replace(data, []byte("<Ustrd>"), []byte("<Ustrd>&nope;"), 1)
		in[base+"/comment"] = bytes.Replace(data, []byte("<Ntry>"),
			[]byte("<!-- a note --><Ntry>"), 1)
		in[base+"/mismatch"] = bytes.Replace(data, []byte("</Amt>"), []byte("</Amount>"), 1)
		in[base+"/prefix"] = bytes.ReplaceAll(bytes.ReplaceAll(data, []byte("<Ntry>"),
			[]byte("<c:Ntry>")), []byte("</Ntry>"), []byte("</c:Ntry>"))
		in[base+"/selfclose"] = bytes.Replace(data, []byte("<Ntry>"),
			[]byte("<Ntry><AddtlNtryInf/>"), 1)
		in[base+"/quote"] = bytes.ReplaceAll(data, []byte(`Ccy="`), []byte(`Ccy = '`))
	}

	return in
}

// TestScannerReadsLikeDecoder reads every input through the scanner and
// through encoding/xml alone and wants the same file or the same problems.
func TestScannerReadsLikeDecoder(t *testing.T) {
	in := scanInputs(t)
	fast := 0
	for name, data := range in {
		got, gotErr := read(name, data, Options{}, true)
		want, wantErr := read(name, data, Options{}, false)
		if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(gotErr, wantErr) {
			t.Errorf("%s: scanner read differs from encoding/xml:\n got %+v, %v\nwant %+v, %v",
				name, got, gotErr, want, wantErr)
		}

		if plainXML(data) {
			fast++
		}
	}

	if fast*2 < len(in) {
		t.Errorf("only %d of %d inputs took the scanner", fast, len(in))
	}
}

// FuzzScannerReadsLikeDecoder checks the scanner against encoding/xml on
// arbitrary documents, whole and arriving in pieces.
func FuzzScannerReadsLikeDecoder(f *testing.F) {
	for _, data := range scanInputs(f) {
		f.Add(data)
	}

	f.Add([]byte(`<?xml version="1.0"?><Document><BkToCstmrStmt><Stmt><Id>1</Id>` +
		`<Ntry a:b:c="1"></Ntry></Stmt></BkToCstmrStmt></Document>`))

	f.Fuzz(func(t *testing.T, data []byte) {
		want, wantErr := read("fuzz", data, Options{}, false)

		got, gotErr := read("fuzz", data, Options{}, true)
		if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(gotErr, wantErr) {
			t.Fatalf("scanner read differs:\n got %+v, %v\nwant %+v, %v", got, gotErr, want,
				wantErr)
		}

		// The window slides over the document in pieces of any size.
		src := &chunks{r: bytes.NewReader(data), n: 1 + len(data)%11}

		got, gotErr = scanAll("fuzz", src, true)
		if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(gotErr, wantErr) {
			t.Fatalf("scanner read in pieces differs:\n got %+v, %v\nwant %+v, %v", got,
				gotErr, want, wantErr)
		}
	})
}

func TestPlainXML(t *testing.T) {
	for _, s := range []string{"a\rb", "<!DOCTYPE x>", "&#10;", "]]>", "\x01", "\xff",
		"\uFFFE"} {
		if plainXML([]byte(s)) {
			t.Errorf("plainXML(%q) = true", s)
		}
	}

	if !plainXML([]byte(strings.Repeat("<a x='1'>t &amp; u</a>\n\t", 3))) {
		t.Error("plain document not taken")
	}
}

func TestHasPair(t *testing.T) {
	for s, want := range map[string]bool{
		"<!": true, "x<!y": true, "!<": false, "<x!": false, "!": false, "": false,
		"a!b!<!": true, "<<>!!": false,
	} {
		if got := hasPair([]byte(s), '<', '!'); got != want {
			t.Errorf("hasPair(%q) = %v, want %v", s, got, want)
		}
	}
}
