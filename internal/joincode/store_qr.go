package joincode

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // uploaded QR images: JPEG
	_ "image/png"  // and PNG
	"time"
)

// QR is an uploaded group QR image (its bytes apart).
type QR struct {
	ID       int64
	GroupID  int64
	Mime     string
	Uploaded time.Time
	Expires  time.Time // Uploaded + 7 days: WeChat's group QR lives 7 days
	By       string
}

// CheckQR checks an uploaded image: PNG or JPEG, at most MaxQRBytes and
// 4096 px a side (read from its header, not decoded whole). It returns the
// MIME type.
func CheckQR(data []byte) (string, error) {
	if len(data) == 0 || len(data) > MaxQRBytes {
		return "", errQRSize.With(MaxQRBytes >> 20)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || (format != "png" && format != "jpeg") {
		return "", errQRFormat
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > maxQRPixels || cfg.Height > maxQRPixels {
		return "", errQRPixels.With(cfg.Width, cfg.Height, maxQRPixels)
	}
	return "image/" + format, nil
}

// UploadQR stores a group's QR image, uploaded at (zero: now); it expires
// QRLife later and replaces the group's earlier ones on the page.
func (s *Store) UploadQR(ctx context.Context, groupID int64, data []byte, by string, at time.Time) (QR, error) {
	mime, err := CheckQR(data)
	if err != nil {
		return QR{}, err
	}
	if at.IsZero() {
		at = s.now()
	}
	q := QR{GroupID: groupID, Mime: mime, Uploaded: at.UTC().Truncate(time.Second), By: by}
	q.Expires = q.Uploaded.Add(QRLife)
	err = s.db.QueryRowContext(ctx, `INSERT INTO join_qr (group_id, image, mime, uploaded_at, expires_at, uploaded_by)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, groupID, data, mime, q.Uploaded.Unix(), q.Expires.Unix(), by).Scan(&q.ID)
	if err != nil {
		return QR{}, fmt.Errorf("joincode: upload QR: %w", err)
	}
	return q, nil
}

// LatestQR returns each group's latest QR (groups without one are absent).
func (s *Store) LatestQR(ctx context.Context, groups []int64) (map[int64]QR, error) {
	out := map[int64]QR{}
	for _, g := range groups {
		var q QR
		var up, exp int64
		err := s.db.QueryRowContext(ctx, `SELECT id, group_id, mime, uploaded_at, expires_at, uploaded_by FROM join_qr
			WHERE group_id = $1 ORDER BY uploaded_at DESC, id DESC LIMIT 1`, g).Scan(&q.ID, &q.GroupID, &q.Mime, &up, &exp, &q.By)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("joincode: QR of group %d: %w", g, err)
		}
		q.Uploaded, q.Expires = unix(up), unix(exp)
		out[g] = q
	}
	return out, nil
}

// QRImage returns a QR's image, MIME type and group.
func (s *Store) QRImage(ctx context.Context, id int64) ([]byte, string, int64, error) {
	var data []byte
	var mime string
	var group int64
	err := s.db.QueryRowContext(ctx, `SELECT image, mime, group_id FROM join_qr WHERE id = $1`, id).Scan(&data, &mime, &group)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", 0, ErrNotFound
	}
	if err != nil {
		return nil, "", 0, fmt.Errorf("joincode: QR image: %w", err)
	}
	return data, mime, group, nil
}
