package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/catalog/feed"
	"github.com/qunke/qunke/internal/catalog/load"
)

// MaxUploadBytes bounds an uploaded feed file.
const MaxUploadBytes = 256 << 20

// importJob is one uploaded file being imported in the background.
type importJob struct {
	ID       string
	File     string
	User     string
	Started  time.Time
	mu       sync.Mutex
	done     int64
	total    int64
	finished bool
	res      load.Result
	err      error
	rejects  string // path of the rejected-rows CSV, if any
}

func (j *importJob) progress(done, total int64) {
	j.mu.Lock()
	j.done, j.total = done, total
	j.mu.Unlock()
}

// jobView is a job as the page shows it.
type jobView struct {
	ID, File, User string
	Err            error // shown in the page's language
	Started        time.Time
	Percent        int
	Finished       bool
	Imported       bool
	Rows, Rejected int
	New, Updated   int
	Problems       []feed.Problem
	HasRejects     bool
}

func (j *importJob) view() jobView {
	j.mu.Lock()
	defer j.mu.Unlock()
	v := jobView{ID: j.ID, File: j.File, User: j.User, Err: j.err, Started: j.Started, Finished: j.finished,
		Imported: j.res.Imported, Rows: j.res.Feed.Rows, Rejected: j.res.Feed.Rejected,
		New: j.res.Stats.ItemsNew, Updated: j.res.Stats.ItemsUpdated, HasRejects: j.rejects != ""}
	if j.total > 0 {
		v.Percent = int(min(100, j.done*100/j.total))
	}
	if j.finished {
		v.Percent = 100
		v.Problems = j.res.Feed.Problems[:min(len(j.res.Feed.Problems), 50)]
	}
	return v
}

type importsState struct {
	mu   sync.Mutex
	jobs map[string]*importJob
}

// keepJobs is how many import jobs the page remembers; older finished
// ones are forgotten with their rejected-rows files.
const keepJobs = 50

func (st *importsState) add(j *importJob) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.jobs == nil {
		st.jobs = map[string]*importJob{}
	}
	st.jobs[j.ID] = j
	for len(st.jobs) > keepJobs {
		var oldest *importJob
		for _, o := range st.jobs {
			o.mu.Lock()
			done := o.finished
			o.mu.Unlock()
			if done && (oldest == nil || o.Started.Before(oldest.Started)) {
				oldest = o
			}
		}
		if oldest == nil {
			return // all running: keep them
		}
		oldest.mu.Lock()
		if oldest.rejects != "" {
			os.Remove(oldest.rejects)
		}
		oldest.mu.Unlock()
		delete(st.jobs, oldest.ID)
	}
}

func (st *importsState) get(id string) *importJob {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.jobs[id]
}

func (st *importsState) recent() []jobView {
	st.mu.Lock()
	jobs := make([]*importJob, 0, len(st.jobs))
	for _, j := range st.jobs {
		jobs = append(jobs, j)
	}
	st.mu.Unlock()
	sort.Slice(jobs, func(a, b int) bool { return jobs[a].Started.After(jobs[b].Started) })
	var out []jobView
	for i, j := range jobs {
		if i == 20 {
			break
		}
		out = append(out, j.view())
	}
	return out
}

type importView struct {
	Jobs      []jobView
	Running   bool
	Platforms []catalog.Platform
	Error     string
}

// importPage shows the upload form and the recent jobs; it refreshes itself
// while one is running.
func (s *Server) importPage(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(w, r, "/import", "nav.import")
	view := &importView{Jobs: s.imports.recent(), Platforms: catalog.Platforms}
	for _, j := range view.Jobs {
		view.Running = view.Running || !j.Finished
	}
	p.Data = view
	s.render(w, http.StatusOK, "import", p)
}

// importUpload receives a feed file and starts importing it.
func (s *Server) importUpload(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(w, r, "/import", "nav.import")
	fail := func(status int, msg string) {
		p.Data = &importView{Jobs: s.imports.recent(), Platforms: catalog.Platforms, Error: msg}
		s.render(w, status, "import", p)
	}
	file, hdr, err := r.FormFile("file")
	if err != nil {
		fail(http.StatusBadRequest, p.T("import.no_file"))
		return
	}
	defer file.Close()
	// A file without a time column is a snapshot taken at the upload.
	opt := load.Options{SkipBad: r.FormValue("skip_bad") != "", Feed: feed.Options{At: time.Now().Unix()}}
	if at := strings.TrimSpace(r.FormValue("at")); at != "" {
		t, err := time.ParseInLocation("2006-01-02T15:04", at, s.zone)
		if err != nil {
			fail(http.StatusBadRequest, p.T("import.bad_at"))
			return
		}
		opt.Feed.At = t.Unix()
	}
	if pl := r.FormValue("platform"); pl != "" {
		if opt.Feed.Platform, _ = catalog.ParsePlatform(pl); opt.Feed.Platform == "" {
			fail(http.StatusBadRequest, p.T("error.bad_filter", pl))
			return
		}
	}
	name := filepath.Base(hdr.Filename)
	tmp, err := os.CreateTemp("", tempUpload+"*"+filepath.Ext(name))
	if err != nil {
		s.serverError(w, r, "upload", err)
		return
	}
	size, err := io.Copy(tmp, file)
	tmp.Close()
	if err != nil {
		os.Remove(tmp.Name())
		fail(http.StatusBadRequest, p.T("import.too_large", MaxUploadBytes>>20))
		return
	}
	var id [8]byte
	rand.Read(id[:])
	j := &importJob{ID: hex.EncodeToString(id[:]), File: name, Started: time.Now()}
	if si := sessionFrom(r); si != nil {
		j.User = si.User.DisplayName
	}
	s.imports.add(j)
	go s.runImport(j, tmp.Name(), size, opt)
	http.Redirect(w, r, "/import", http.StatusSeeOther)
}

// runImport imports an uploaded file, then folds the history and has the
// advisor reload what it changed so every page sees the new prices.
func (s *Server) runImport(j *importJob, path string, size int64, opt load.Options) {
	defer os.Remove(path)
	ctx := context.Background()
	opt.Progress = j.progress
	f, err := os.Open(path)
	var res load.Result
	if err == nil {
		res, err = load.Reader(ctx, s.catalog, j.File, f, size, opt)
		f.Close()
	}
	var rejects string
	if res.Feed.Rejected > 0 {
		if out, cerr := os.CreateTemp("", tempRejected+"*.csv"); cerr == nil {
			out.Close()
			if feed.WriteRejects(out.Name(), res.Feed) == nil {
				rejects = out.Name()
			}
		}
	}
	if err == nil {
		if _, cerr := s.catalog.Compact(ctx); cerr != nil {
			err = cerr
		}
		if cats, cerr := s.advisor.CatchUp(ctx); cerr != nil { // reloads only the categories it changed
			s.log.Warn("advisor: catch up with the import", "err", cerr)
			s.advisor.Refresh()
			go s.Warm(ctx)
		} else {
			s.log.Info("advisor: caught up with the import", "categories", len(cats))
		}
	}
	j.mu.Lock()
	j.res, j.finished, j.rejects = res, true, rejects
	j.err = err
	j.mu.Unlock()
	s.log.Info("import", "file", j.File, "rows", res.Feed.Rows, "rejected", res.Feed.Rejected, "imported", res.Imported, "err", j.err)
}

// importRejects downloads a job's rejected rows.
func (s *Server) importRejects(w http.ResponseWriter, r *http.Request) {
	j := s.imports.get(r.PathValue("id"))
	if j == nil {
		http.NotFound(w, r)
		return
	}
	j.mu.Lock()
	path, name := j.rejects, j.File
	j.mu.Unlock()
	if path == "" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", strings.TrimSuffix(name, filepath.Ext(name))+".rejected.csv"))
	http.ServeFile(w, r, path)
}
