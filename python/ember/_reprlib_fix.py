"""reprlib dispatches on a type's *name*: it would treat ember's `array` as the
standard library's `array.array` and fail (pytest uses reprlib for failure
reports). Route only real `array.array` objects to reprlib's array printer."""
import array as _stdlib_array
import reprlib

_stdlib_repr_array = reprlib.Repr.repr_array


def _repr_array(self, x, level):
    if isinstance(x, _stdlib_array.array):
        return _stdlib_repr_array(self, x, level)
    return self.repr_instance(x, level)


reprlib.Repr.repr_array = _repr_array
