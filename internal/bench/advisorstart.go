package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"

	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/qunke/qunke/internal/advisor"
	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/store"
)

// StartQuestions are the first questions a started server is timed on,
// each in a process (or an advisor) of its own: a card, a ranking page, a
// library search.
var StartQuestions = []string{"card", "ranking", "search"}

// StartFigure is one cold start from the snapshot file: from the
// advisor's making to the first answer, and the process's RSS then (0
// when measured inside the benchmark's own process).
type StartFigure struct {
	Question string
	Elapsed  time.Duration
	RSS      int64 // right after the answer
	// RSSChecked is the RSS once the background check read every section
	// (the mapped file's pages: page cache, given back under pressure).
	RSSChecked int64
	FromFile   bool // the advisor started from the file (its log says so)
	// Background is how long the work the start left to the background
	// took after the answer: the check of every section's checksum and
	// the catch-up with the catalog.
	Background time.Duration
}

// startQuestion makes an advisor over s with the snapshot file at path and
// times its first answer to question.
func startQuestion(ctx context.Context, s *catalog.Store, path, question string, key catalog.Key, text string) (StartFigure, error) {
	var log bytes.Buffer
	f := StartFigure{Question: question}
	t := time.Now()
	a := advisor.New(s, advisor.Options{})
	a.UseSnapshotFile(path, 0, slog.New(slog.NewTextHandler(&log, nil)))
	var err error
	switch question {
	case "card":
		_, err = a.Card(ctx, key)
	case "ranking":
		_, err = a.Rank(ctx, advisor.RankQuery{Kind: advisor.RankHot, Limit: 50})
	case "search":
		_, _, err = a.Library(ctx, advisor.LibraryQuery{Text: text, Limit: 50})
	default:
		err = fmt.Errorf("no start question %q", question)
	}
	f.Elapsed = time.Since(t)
	f.FromFile = strings.Contains(log.String(), "started from the snapshot file")
	f.RSS, _ = rss()
	t = time.Now()
	a.WaitSnapshotFile() // the background check and catch-up, before the advisor goes
	f.Background = time.Since(t)
	f.RSSChecked, _ = rss()
	return f, err
}

// AdvisorStart is the child process of the advisor benchmark's start
// figures (bench advisor-start): it opens the SQLite file at dbPath, asks
// question of an advisor with the snapshot file at snapPath and writes its
// StartFigure, RSS included, as JSON to out.
func AdvisorStart(ctx context.Context, dbPath, snapPath, question, key, text string, out io.Writer) error {
	db, err := store.Open(ctx, dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	p, id, _ := strings.Cut(key, ":")
	f, err := startQuestion(ctx, catalog.NewStore(db), snapPath, question, catalog.Key{Platform: catalog.Platform(p), ItemID: id}, text)
	if err != nil {
		return err
	}
	return json.NewEncoder(out).Encode(f)
}

// startFigures times the first answers of advisors started from the
// snapshot file at snapPath: in child processes (cfg.StartCommand, SQLite)
// or else in this one.
func startFigures(ctx context.Context, cfg AdvisorConfig, s *catalog.Store, dbPath, snapPath string, key catalog.Key, text string) ([]StartFigure, error) {
	var out []StartFigure
	for _, q := range StartQuestions {
		if len(cfg.StartCommand) == 0 || dbPath == "" {
			f, err := startQuestion(ctx, s, snapPath, q, key, text)
			if err != nil {
				return nil, err
			}
			out = append(out, f)
			continue
		}
		var stdout, stderr bytes.Buffer
		args := append(append([]string(nil), cfg.StartCommand[1:]...), "--db", dbPath, "--cache", snapPath, "--ask", q,
			"--key", string(key.Platform)+":"+key.ItemID, "--text", text)
		cmd := exec.CommandContext(ctx, cfg.StartCommand[0], args...)
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("start figure %s: %w: %s", q, err, stderr.String())
		}
		var f StartFigure
		if err := json.Unmarshal(stdout.Bytes(), &f); err != nil {
			return nil, fmt.Errorf("start figure %s: %w", q, err)
		}
		out = append(out, f)
	}
	return out, nil
}

// snapPathIn is where the benchmark keeps the advisor's snapshot file.
func snapPathIn(cfg AdvisorConfig, engine string) string {
	return filepath.Join(cfg.Dir, fmt.Sprintf("advisor-%s-%d-%d-%d.advisor", engine, cfg.Items, cfg.Snapshots, cfg.Seed))
}
