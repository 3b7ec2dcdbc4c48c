package web

import (
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/qunke/qunke/internal/auth"
	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/orders"
)

// orderImportView is the order report upload page.
type orderImportView struct {
	File     string
	Done     bool
	Stats    orders.Stats
	Rows     int
	Rejected int
	Problems []orders.Problem
	Error    string
}

func (s *Server) orderImportRoutes() {
	s.mux.Handle("GET /orders/import", s.page(auth.ManageOrders, s.orderImportPage))
	s.mux.Handle("POST /orders/import", s.upload(s.page(auth.ManageOrders, s.orderImportUpload)))
}

func (s *Server) orderImportPage(w http.ResponseWriter, r *http.Request) {
	s.renderOrderImport(w, r, http.StatusOK, &orderImportView{})
}

func (s *Server) renderOrderImport(w http.ResponseWriter, r *http.Request, status int, v *orderImportView) {
	p := s.newPage(w, r, "/orders/import", "orders.import.title")
	p.Data = v
	s.render(w, status, "orderimport", p)
}

// orderImportUpload imports one Alimama order report (.xls, .xlsx, .csv) in
// one transaction: a file with bad rows imports nothing and lists them.
func (s *Server) orderImportUpload(w http.ResponseWriter, r *http.Request) {
	v := &orderImportView{}
	file, hdr, err := r.FormFile("file")
	if err != nil {
		v.Error = s.textIn(w, r)(msg.New("orders.choose_file"))
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			v.Error = s.textIn(w, r)(msg.New("orders.file_too_large"))
		}
		s.renderOrderImport(w, r, http.StatusBadRequest, v)
		return
	}
	defer file.Close()
	v.File = filepath.Base(hdr.Filename)
	ext := strings.ToLower(filepath.Ext(v.File))
	if ext != ".xls" && ext != ".xlsx" && ext != ".csv" {
		v.Error = s.textIn(w, r)(msg.New("orders.bad_type"))
		s.renderOrderImport(w, r, http.StatusBadRequest, v)
		return
	}
	tmp, err := os.CreateTemp("", tempOrders+"*"+ext)
	if err != nil {
		s.serverError(w, r, "order upload", err)
		return
	}
	defer os.Remove(tmp.Name())
	_, err = io.Copy(tmp, file)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		v.Error = s.textIn(w, r)(msg.New("orders.upload_broke", err))
		s.renderOrderImport(w, r, http.StatusBadRequest, v)
		return
	}
	res, err := s.orders.ImportFile(r.Context(), tmp.Name(), false)
	v.Rows, v.Rejected, v.Problems = res.Parsed.Rows, res.Parsed.Rejected, res.Parsed.Problems
	for i := range v.Problems {
		v.Problems[i].File = v.File
	}
	if len(v.Problems) > 50 {
		v.Problems = v.Problems[:50]
	}
	status := http.StatusOK
	switch {
	case err != nil && len(v.Problems) > 0:
		v.Error, status = s.textIn(w, r)(msg.New("orders.bad_rows")), http.StatusBadRequest
	case err != nil:
		v.Error, status = strings.ReplaceAll(s.textIn(w, r)(err), tmp.Name(), v.File), http.StatusBadRequest
	default:
		v.Done, v.Stats = true, res.Stats
	}
	s.renderOrderImport(w, r, status, v)
}
