/* closure.h -- helpers around closures and array lists for the transforms. */
#ifndef EM_TRANSFORMS_CLOSURE_H
#define EM_TRANSFORMS_CLOSURE_H

#include "ember.h"

/* Pushes a (a new reference, or NULL to propagate an error) and releases it. */
em_status list_push_steal(em_array_list *l, em_array *a);
/* The context pointer a closure was made with. */
void *closure_context(const em_closure *f);

#endif
