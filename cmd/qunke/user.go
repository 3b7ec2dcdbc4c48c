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
	"github.com/qunke/qunke/internal/msg"
)

func newUserCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "user",
		Short: "用户与 API 令牌 (users and API tokens)",
	}
	var role, display string
	add := &cobra.Command{
		Use:   "add NAME",
		Short: "添加用户 (add a user; the password comes from QUNKE_PASSWORD, a prompt, or standard input)",
		Long: `添加用户。角色：admin 管理员、selector 选品、operator 运营、finance 财务、viewer 只读。
密码依次取自环境变量 QUNKE_PASSWORD、终端输入（不回显）、标准输入的第一行；至少 10 个字符。

Add a user. Roles: admin, selector, operator, finance, viewer. The password comes from
QUNKE_PASSWORD, else a hidden prompt on a terminal, else the first line of standard input;
at least 10 characters.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := auth.ParseRole(role)
			if err != nil {
				return fmt.Errorf("--role %q: %w", role, err)
			}
			pw, err := readPassword(cmd)
			if err != nil {
				return err
			}
			db, err := g.openDB(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			u, err := auth.New(db).CreateUser(cmd.Context(), auth.NewUser{Name: args[0], DisplayName: display, Role: r, Password: pw})
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "已添加用户 added user %s (%s, %s)\n", u.Name, u.Role, u.Role.Label())
			return nil
		},
	}
	add.Flags().StringVar(&role, "role", "viewer", "角色 (role): admin, selector, operator, finance, viewer")
	add.Flags().StringVar(&display, "display-name", "", "显示名称 (display name)")
	var tokenName string
	token := &cobra.Command{
		Use:   "token NAME",
		Short: "为用户签发 API 令牌，只显示一次 (issue an API token for a user; shown once)",
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
	token.Flags().StringVar(&tokenName, "name", "cli", "令牌名称 (token name)")
	cmd.AddCommand(add, token)
	return cmd
}

// readPassword takes the password from QUNKE_PASSWORD, a hidden prompt, or
// the first line of standard input.
func readPassword(cmd *cobra.Command) (string, error) {
	if pw := os.Getenv("QUNKE_PASSWORD"); pw != "" {
		return pw, nil
	}
	if f, ok := cmd.InOrStdin().(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(cmd.ErrOrStderr(), "密码 password: ")
		a, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(cmd.ErrOrStderr())
		if err != nil {
			return "", err
		}
		fmt.Fprint(cmd.ErrOrStderr(), "再输一次 again: ")
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
