package gen

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/cairn-intel/cairn/internal/misp"
)

const rawInsertSQL = `INSERT INTO attributes (uuid, event_id, object_id, object_relation, type, category,
	value1, value2, ip, to_ids, distribution, sharing_group_id, comment, timestamp, deleted,
	disable_correlation, first_seen, last_seen, data)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// rawInserter writes attribute rows with prepared statements, committing
// every rawBatch rows.
type rawInserter struct {
	db                  *sql.DB
	tx                  *sql.Tx
	attrStmt, eventStmt *sql.Stmt
	rows                int // rows in the open transaction
	objectID            int64
}

func (ins *rawInserter) begin(ctx context.Context) error {
	tx, err := ins.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	ins.tx = tx
	if ins.attrStmt, err = tx.PrepareContext(ctx, rawInsertSQL); err != nil {
		return err
	}
	ins.eventStmt, err = tx.PrepareContext(ctx, `INSERT INTO events (id, uuid) VALUES (?, ?)`)
	return err
}

// event inserts the event's row and the rows of all its attributes, those
// of its objects included, and returns how many attributes it inserted.
func (ins *rawInserter) event(ctx context.Context, id int64, ev *misp.Event) (int, error) {
	if ins.tx == nil {
		if err := ins.begin(ctx); err != nil {
			return 0, err
		}
	}
	if _, err := ins.eventStmt.ExecContext(ctx, id, text(ev.UUID)); err != nil {
		return 0, err
	}
	n, err := eachRow(id, ev, &ins.objectID, func(row []any) error {
		_, err := ins.attrStmt.ExecContext(ctx, row...)
		return err
	})
	if err != nil {
		return n, err
	}
	ins.rows += n
	if ins.rows >= rawBatch {
		return n, ins.commit()
	}
	return n, nil
}

// attributeColumns are the columns of the attributes table the baselines
// fill, in the order of the values of attributeRow.
var attributeColumns = []string{"uuid", "event_id", "object_id", "object_relation", "type", "category",
	"value1", "value2", "ip", "to_ids", "distribution", "sharing_group_id", "comment", "timestamp", "deleted",
	"disable_correlation", "first_seen", "last_seen", "data"}

// eachRow calls fn with the row of every attribute of ev, those of its
// objects included, numbering the objects on from *objectID (standing in for
// the ids the store would give them), and returns how many rows it made.
func eachRow(eventID int64, ev *misp.Event, objectID *int64, fn func(row []any) error) (int, error) {
	n := 0
	emit := func(objID int64, a *misp.Attribute) error {
		row, err := attributeRow(eventID, objID, a)
		if err != nil {
			return err
		}
		n++
		return fn(row)
	}
	for i := range ev.Attribute.Items {
		if err := emit(0, &ev.Attribute.Items[i]); err != nil {
			return n, err
		}
	}
	for _, o := range ev.Object.Items {
		*objectID++
		for i := range o.Attribute.Items {
			if err := emit(*objectID, &o.Attribute.Items[i]); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// attributeRow normalises one attribute as the store does and returns the
// values of attributeColumns. Flags are 0 or 1, as the schema keeps them.
func attributeRow(eventID, objectID int64, a *misp.Attribute) ([]any, error) {
	typ := str(a.Type)
	info, ok := misp.LookupType(typ)
	if !ok {
		return nil, fmt.Errorf("unknown attribute type %q", typ)
	}
	v1, v2, err := misp.NormalizeValue(typ, str(a.Value))
	if err != nil {
		return nil, err
	}
	ip, _ := misp.IPKey(typ, v1, v2)
	var relation any
	if a.ObjectRelation != nil {
		relation = str(a.ObjectRelation)
	}
	return []any{text(a.UUID), eventID, objectID, relation, typ, str(a.Category), v1, v2,
		ip, bit(flag(a.ToIDS)), number(a.Distribution), int64(0), str(a.Comment), number(a.Timestamp), int64(0),
		bit(!info.Correlates), nil, nil, nil}, nil
}

func (ins *rawInserter) commit() error {
	if ins.tx == nil {
		return nil
	}
	ins.attrStmt.Close()
	ins.eventStmt.Close()
	err := ins.tx.Commit()
	ins.tx, ins.rows = nil, 0
	return err
}

// close rolls back a transaction left open by an error.
func (ins *rawInserter) close() {
	if ins.tx != nil {
		_ = ins.tx.Rollback() // after an earlier error, which is the one reported
	}
}

func str(s *misp.String) string {
	if s == nil {
		return ""
	}
	return string(*s)
}

func text(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func flag(b *misp.Bool) bool { return b != nil && bool(*b) }

func bit(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func number(n *misp.Int) int64 {
	if n == nil {
		return 0
	}
	return int64(*n)
}
