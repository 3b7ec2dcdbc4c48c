package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/qunke/qunke/internal/auth"
	"github.com/qunke/qunke/internal/growth"
	"github.com/qunke/qunke/internal/msg"
)

func newUserCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "user",
		Short: g.h("cli.user.short"),
	}
	var role, display string
	var agentID int64
	add := &cobra.Command{
		Use:   "add NAME",
		Short: g.h("cli.user.add.short"),
		Long:  g.h("cli.user.add.long"),
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := auth.ParseRole(role)
			if err != nil {
				return fmt.Errorf("--role %q: %w", role, err)
			}
			pw, err := readPassword(cmd, g)
			if err != nil {
				return err
			}
			db, err := g.openDB(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			svc := auth.New(db)
			svc.Agents = growth.NewStore(db)
			u, err := svc.CreateUser(cmd.Context(), auth.NewUser{Name: args[0], DisplayName: display, Role: r, Password: pw, AgentID: agentID})
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), g.t("cli.user_added", u.Name, u.Role, g.t("role."+string(u.Role))))
			return nil
		},
	}
	add.Flags().StringVar(&role, "role", "viewer", g.h("cli.user.flag.role"))
	add.Flags().StringVar(&display, "display-name", "", g.h("cli.user.flag.display_name"))
	add.Flags().Int64Var(&agentID, "agent", 0, g.h("cli.user.flag.agent"))
	var tokenName string
	token := &cobra.Command{
		Use:   "token NAME",
		Short: g.h("cli.user.token.short"),
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := g.openDB(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			svc := auth.New(db)
			u, err := svc.UserByName(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			tok, _, err := svc.IssueToken(cmd.Context(), u.ID, tokenName)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.ErrOrStderr(), g.t("cli.token_once"))
			fmt.Fprintln(cmd.OutOrStdout(), tok)
			return nil
		},
	}
	token.Flags().StringVar(&tokenName, "name", "cli", g.h("cli.user.flag.name"))
	cmd.AddCommand(add, token)
	return cmd
}

// readPassword takes the password from QUNKE_PASSWORD, a hidden prompt, or
// the first line of standard input.
func readPassword(cmd *cobra.Command, g *globals) (string, error) {
	if pw := os.Getenv("QUNKE_PASSWORD"); pw != "" {
		return pw, nil
	}
	if f, ok := cmd.InOrStdin().(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(cmd.ErrOrStderr(), g.t("cli.password_prompt"))
		a, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(cmd.ErrOrStderr())
		if err != nil {
			return "", err
		}
		fmt.Fprint(cmd.ErrOrStderr(), g.t("cli.password_again"))
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(cmd.ErrOrStderr())
		if err != nil {
			return "", err
		}
		if string(a) != string(b) {
			return "", msg.New("cli.passwords_differ")
		}
		return string(a), nil
	}
	line, err := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	if pw := strings.TrimRight(line, "\r\n"); pw != "" {
		return pw, nil
	}
	return "", msg.New("cli.no_password")
}
