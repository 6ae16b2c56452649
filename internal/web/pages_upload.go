package web

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/o2c-dev/o2c/internal/store"
	"github.com/o2c-dev/o2c/pipelines"
)

// maxUploadFiles caps the files of one upload, form or API; maxUploadParts the
// fields of its multipart form, files included. Past a cap nothing more is read.
const (
	maxUploadFiles = 20
	maxUploadParts = maxUploadFiles + 10
)

// uploadData is the upload form's data.
type uploadData struct {
	MaxBytes int64
	MaxFiles int
	Error    string
}

func (s *Server) uploadForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "upload", "Upload bank files",
		uploadData{MaxBytes: s.cfg.MaxUploadBytes, MaxFiles: maxUploadFiles})
}

// Why a file of an upload was not received.
const (
	refusedEmpty = "empty"
	refusedName  = "name"
	refusedLarge = "large"
	refusedCut   = "cut"
	refusedMany  = "many"
	// refusedFailed is o2c's failure, not the file's: the database failed.
	refusedFailed = "failed"
)

// uploadSubmit stores each file of a multipart form as it arrives and queues it for
// reading (pipelines.SubmitFrom), then sends the browser to the upload's summary.
// A file that cannot be received (empty, badly named, too large) is listed there as
// refused without stopping the others.
func (s *Server) uploadSubmit(w http.ResponseWriter, r *http.Request) {
	limit := s.cfg.MaxUploadBytes*maxUploadFiles + 1<<20
	s.uploadDeadline(w, r, limit)
	r.Body = http.MaxBytesReader(w, r.Body, limit)

	mr, err := r.MultipartReader()
	if err != nil {
		s.uploadRefused(w, r, "Send the form as multipart/form-data with the files in "+
			"fields named file.")
		return
	}

	target := url.Values{}
	files, parts := 0, 0

	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}

		if err != nil && len(target) == 0 && !isTooLarge(err) {
			s.cfg.Logger.WarnContext(r.Context(), "Upload refused", "path", r.URL.Path,
				"reason", uploadFault(&bodyError{err: err}))
			s.uploadRefused(w, r, "The form could not be read: "+
				uploadFault(&bodyError{err: err})+".")
			return
		}

		if err != nil {
			target.Add("bad", refusedCut+":")
			break
		}

		// Past the caps nothing more is read: one line says so for the rest.
		if parts++; parts > maxUploadParts {
			target.Add("bad", refusedMany+":")
			break
		}

		if part.FormName() != "file" {
			continue
		}

		name := part.FileName()
		body := bufio.NewReader(clientBody{part})

		// A file field left empty sends a part without a name or bytes.
		if _, err := body.Peek(1); name == "" && errors.Is(err, io.EOF) {
			continue
		}

		if files++; files > maxUploadFiles {
			target.Add("bad", refusedMany+":"+name)
			break
		}

		res, err := s.receive(r, name, body)

		// The files after one that o2c failed to store, or that the size limit cut,
		// or that broke off, are not read: the summary says so for the rest.
		stop := isTooLarge(err) && !errors.Is(err, store.ErrFileTooLarge) ||
			err != nil && res == ""

		switch {
		case stop && res == "" && uploadFault(err) != "":
			s.cfg.Logger.WarnContext(r.Context(), "Upload refused", "path", r.URL.Path,
				"reason", uploadFault(err))
			target.Add("bad", refusedCut+":"+name)
		case stop && res == "" && !isTooLarge(err):
			s.cfg.Logger.ErrorContext(r.Context(), "Receive bank file", "error", err)
			target.Add("bad", refusedFailed+":"+name)
		case stop:
			target.Add("bad", refusedCut+":"+name)
		case err != nil:
			target.Add("bad", res+":"+name)
		default:
			target.Add("f", res)
		}

		if stop {
			break
		}
	}

	if !target.Has("f") && !target.Has("bad") {
		s.uploadRefused(w, r, "Choose at least one file.")
		return
	}

	http.Redirect(w, r, "/files/uploaded?"+target.Encode(), http.StatusSeeOther)
}

// receive submits one uploaded file. It returns "<id>:new", "<id>:duplicate" or
// "<id>:retried", or with an error the reason the file was refused ("" when the
// error is not the file's fault).
func (s *Server) receive(r *http.Request, name string, br *bufio.Reader) (string, error) {
	if err := checkFileName(name); err != nil {
		return refusedName, err
	}

	if _, err := br.Peek(1); errors.Is(err, io.EOF) {
		return refusedEmpty, errEmptyUpload
	} else if err != nil {
		return "", err
	}

	sub, err := pipelines.SubmitFrom(r.Context(), s.cfg.Pool, name, br, s.cfg.MaxUploadBytes,
		actor(r))
	if errors.Is(err, store.ErrFileTooLarge) {
		return refusedLarge, err
	}

	if err != nil {
		return "", err
	}

	kind := "new"
	switch {
	case sub.Retried:
		kind = "retried"
	case sub.Duplicate:
		kind = "duplicate"
	}

	return strconv.FormatInt(sub.File.ID, 10) + ":" + kind, nil
}

func isTooLarge(err error) bool {
	var tooBig *http.MaxBytesError

	return err != nil && (errors.As(err, &tooBig) ||
		strings.Contains(err.Error(), "request body too large"))
}

// uploadRefused shows the upload form again with why nothing was received.
func (s *Server) uploadRefused(w http.ResponseWriter, r *http.Request, msg string) {
	s.render(w, r, http.StatusBadRequest, "upload", "Upload bank files",
		uploadData{MaxBytes: s.cfg.MaxUploadBytes, MaxFiles: maxUploadFiles, Error: msg})
}

// uploadedFile is one line of an upload's summary.
type uploadedFile struct {
	Name    string
	File    *store.BankFile
	Kind    string // new, duplicate, retried or refused
	Message string
}

// uploadedData is an upload summary's data.
type uploadedData struct {
	Files []uploadedFile
	// Pending is true while a file is being read.
	Pending bool
}

// uploadedPage summarises an upload: each file with its state and a link to its
// result page, and the files refused. It reloads itself while a file is being read.
func (s *Server) uploadedPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()

	var list []uploadedFile

	refresh := 0

	for _, v := range q["f"] {
		idText, kind, _ := strings.Cut(v, ":")

		id, err := strconv.ParseInt(idText, 10, 64)
		if err != nil || id <= 0 || len(list) >= 2*maxUploadFiles {
			continue
		}

		f, err := store.GetBankFile(r.Context(), s.cfg.Pool, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}

		if err != nil {
			s.fail(w, r, err)
			return
		}

		u := uploadedFile{Name: f.Name, File: &f, Kind: kind}
		sub := pipelines.Submission{File: f, Duplicate: kind == "duplicate",
			Retried: kind == "retried"}
		u.Message = sub.Message()

		if f.Status == store.FileReceived || f.Status == store.FileIngested {
			refresh = 2
		}

		list = append(list, u)
	}

	for _, v := range q["bad"] {
		code, name, _ := strings.Cut(v, ":")
		if len(list) >= 3*maxUploadFiles {
			break
		}

		list = append(list, uploadedFile{Name: name, Kind: "refused",
			Message: s.refusal(code)})
	}

	info := s.pageInfo(r, "Upload received")
	info.Refresh = refresh

	s.renderPage(w, r, http.StatusOK, "uploaded", info,
		uploadedData{Files: list, Pending: refresh > 0})
}

// refusal says why a file was refused, for the refusal code of the summary.
func (s *Server) refusal(code string) string {
	switch code {
	case refusedEmpty:
		return "The file is empty."
	case refusedName:
		return "The file name must be 1 to 255 characters of text without control " +
			"or formatting characters."
	case refusedLarge:
		return fmt.Sprintf("The file is over the limit of %s; nothing of it was kept.",
			byteSize(s.cfg.MaxUploadBytes))
	case refusedMany:
		return fmt.Sprintf("Only %d files are taken in one upload: this file and any "+
			"after it were not received. Send them again in another upload.",
			maxUploadFiles)
	case refusedFailed:
		return "o2c could not store this file (the error is logged): this file and any " +
			"after it were not received. Send them again later."
	case refusedCut:
		return "The upload was cut off (at its size limit, or the form broke off): this " +
			"file and any after it were not received. Send them again, fewer at a time."
	}

	return "The file was not received."
}
