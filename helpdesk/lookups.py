"""`field__any=values`: IN for a long list of values, sent to PostgreSQL as one array.

Django writes `IN (%s, %s, ...)` with a placeholder per value. For a search's few thousand
hits that costs more than the query does: the statement is built and bound value by value and
PostgreSQL then plans a list of thousands of constants (a queue narrowed to 2,393 hits: 40 ms,
against 15 ms for `= ANY(%s)` with the same ids as one array). Other databases get the IN.
"""

from django.db.models import Field
from django.db.models.lookups import In


@Field.register_lookup
class AnyOf(In):
    lookup_name = "any"

    def as_postgresql(self, compiler, connection):
        if not self.rhs_is_direct_value():  # a subquery stays one
            return self.as_sql(compiler, connection)
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = [value for value in self.rhs if value is not None]
        return f"{lhs} = ANY(%s)", (*lhs_params, values)
