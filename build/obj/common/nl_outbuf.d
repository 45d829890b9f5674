/work/main/build/obj/common/nl_outbuf.o: /work/main/common/nl_outbuf.cpp \
 /work/main/common/nl_outbuf.h
/work/main/common/nl_outbuf.h:
