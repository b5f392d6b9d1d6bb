// Command ferretdb runs an embedded FerretDB 1.24 (MongoDB wire protocol over
// SQLite or PostgreSQL) for local runs and tests, where no mongod exists.
// The released ferretdb binary cannot be used: built with `go install` it
// panics on a version file that only FerretDB's own build generates.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "TCP address to listen on; port 0 picks a free one")
	sqliteDir := flag.String("sqlite-dir", "", "directory for the SQLite handler (created if missing)")
	postgresURL := flag.String("postgresql-url", "", "use the PostgreSQL handler with this URL instead of SQLite")
	exitWithParent := flag.Bool("exit-with-parent", false,
		"shut down when stdin ends: the parent holds a pipe it never writes to, which closes when it dies (even by SIGKILL); "+
			"do not use where stdin is /dev/null or closed")
	flag.Parse()

	conf := &ferretdb.Config{Listener: ferretdb.ListenerConfig{TCP: *listen}}
	switch {
	case *postgresURL != "":
		conf.Handler = "postgresql"
		conf.PostgreSQLURL = *postgresURL
	case *sqliteDir != "":
		if err := os.MkdirAll(*sqliteDir, 0o755); err != nil {
			fail(err)
		}
		conf.Handler = "sqlite"
		conf.SQLiteURL = "file:" + *sqliteDir + "/"
	default:
		fail(fmt.Errorf("one of -sqlite-dir or -postgresql-url is required"))
	}

	// FerretDB logs through slog; keep only warnings so stdout stays a clean
	// channel for the line the parent process reads.
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))

	f, err := ferretdb.New(conf)
	if err != nil {
		fail(err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *exitWithParent {
		go func() {
			// Returns at EOF or on a read error: either way the parent is gone.
			_, _ = io.Copy(io.Discard, os.Stdin)
			fmt.Fprintln(os.Stderr, "ferretdb: stdin ended (the parent process is gone); shutting down")
			stop()
		}()
	}

	done := make(chan struct{})
	go func() {
		f.Run(ctx)
		close(done)
	}()

	// The parent reads this line to learn the real port when 0 was asked for.
	fmt.Printf("FERRETDB_URI=%s\n", f.MongoDBURI())
	<-done
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "ferretdb:", err)
	os.Exit(1)
}
