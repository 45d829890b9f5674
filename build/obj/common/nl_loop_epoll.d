/work/main/build/obj/common/nl_loop_epoll.o: \
 /work/main/common/nl_loop_epoll.cpp /work/main/common/nl_loop_internal.h \
 /work/main/common/nl_loop.h
/work/main/common/nl_loop_internal.h:
/work/main/common/nl_loop.h:
