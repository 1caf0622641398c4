/*
 * Error numbers for the -errno convention (values match Linux so host tests
 * that also include <errno.h> see identical definitions).
 */
#ifndef LIB_ERRNO_H
#define LIB_ERRNO_H

#define EPERM	   1
#define ENOENT	   2
#define EIO	   5
#define E2BIG	   7
#define ENOMEM	   12
#define EFAULT	   14
#define EBUSY	   16
#define EEXIST	   17
#define ENODEV	   19
#define EINVAL	   22
#define ENOSPC	   28
#define ERANGE	   34
#define ENOSYS	   38
#define ENOTSUP	   95
#define EOPNOTSUPP 95

#endif
